/**
 * Test orders for the transport-booking tests: Ongoing's official example, shipped, under a new id; the webhook
 * about it; the Ongoing simulator with a third goods owner.
 */

import { type Json, officialExample } from "../../simulators/ongoing/seed.ts";
import {
  defaultAutomationUsers,
  defaultUsers,
  type OngoingSimulator,
  startOngoingSimulator,
} from "../../simulators/ongoing/server.ts";

const example = officialExample("order") as Json & { orderInfo: Json };

/**
 * Puts Ongoing's example order into the simulator under `orderId` and `orderNumber`, of `goodsOwnerId`, at status
 * Sent (450), with no waybill and no parcels; `orderInfo` and `fields` are merged over it.
 */
export function putShippedOrder(
  ongoing: OngoingSimulator,
  order: { goodsOwnerId: number; orderId: number; orderNumber: string; orderInfo?: Json; fields?: Json },
): void {
  ongoing.state.putOrder({
    ...example,
    goodsOwner: { ...(example.goodsOwner as Json), id: order.goodsOwnerId },
    orderInfo: {
      ...example.orderInfo,
      orderId: order.orderId,
      orderNumber: order.orderNumber,
      wayBill: null,
      orderStatus: { number: 450, text: "Skickad" },
      ...order.orderInfo,
    },
    parcels: [],
    ...order.fields,
  });
}

/** Ongoing's order webhook (status Sent) about an order, numbered `O{orderId}` unless given. */
export function orderShippedWebhook(
  orderId: number,
  event: { webhookEventId: number; goodsOwnerId: number; orderNumber?: string },
) {
  return {
    webhookEventId: event.webhookEventId,
    goodsOwnerId: event.goodsOwnerId,
    orderId,
    orderNumber: event.orderNumber ?? `O${orderId}`,
    orderStatus: { number: 450 },
    timestamp: "2026-01-01T12:00:00.0000000",
    webhookTemplate: "OrderStatusChanged",
  };
}

/** The Ongoing simulator with a third REST user (`third`, goods owner 161) that the Automation login sees too. */
export function startThreeOwnerOngoing(): Promise<OngoingSimulator> {
  return startOngoingSimulator({
    users: [...defaultUsers, { username: "third", password: "third-password", goodsOwnerId: 161 }],
    automationUsers: defaultAutomationUsers.map((user) => ({ ...user, goodsOwnerIds: [159, 160, 161] })),
  });
}
