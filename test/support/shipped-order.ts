/** Test orders for the transport-booking tests: Ongoing's official example, shipped, under a new id. */

import { type Json, officialExample } from "../../simulators/ongoing/seed.ts";
import type { OngoingSimulator } from "../../simulators/ongoing/server.ts";

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
