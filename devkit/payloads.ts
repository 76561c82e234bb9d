/**
 * Realistic Ongoing webhook payloads (every field Ongoing's payload carries, a fresh `webhookEventId`) and the
 * transport system's status callback: one set of builders for the webhook CLI, the smoke test, the benchmarks and
 * the tests.
 */
import { randomInt } from "node:crypto";
import type { Route } from "../functions/shared/contract/routes.ts";
import type { TransportStatusEventWebhook } from "../functions/shared/contract/webhook-schemas.ts";

/** Ongoing's timestamp format: seven decimals, no time zone (UTC). */
export function ongoingTimestamp(date = new Date()): string {
  return `${date.toISOString().slice(0, 19)}.${String(date.getUTCMilliseconds()).padStart(3, "0")}0000`;
}

/** A fresh event id, as Ongoing gives every delivery its own. */
const freshEventId = (): number => randomInt(1, 2 ** 31 - 1);

/** The order webhook payload ("Order status is changed" → Sent), with every field Ongoing's documentation lists. */
export function orderWebhookPayload(orderId: number, goodsOwnerId: number): Record<string, unknown> {
  return {
    webhookOrdersId: randomInt(1, 1_000_000),
    webhookEventId: freshEventId(),
    system: "local",
    timestamp: ongoingTimestamp(),
    orderId,
    orderNumber: `O${orderId}`,
    goodsOwnerId,
    goodsOwnerOrderId: `GO-${orderId}`,
    consigneeOrderNumber: null,
    path: `/api/v1/orders/${orderId}`,
    byUser: { userId: 1 },
    byComputer: { computerId: 1, computerName: "local" },
    orderStatus: { number: 450 },
    currentShipmentId: null,
    webhookTemplate: "OrderStatusChanged",
    goodsOwnerName: null,
    goodsOwnerClasses: [],
    tracking: [],
    parcels: [],
  };
}

/** The article webhook payload ("Article is created / updated / deleted"). */
export function articleWebhookPayload(
  articleSystemId: number,
  goodsOwnerId: number,
): Record<string, unknown> {
  return {
    webhookArticlesId: randomInt(1, 1_000_000),
    webhookEventId: freshEventId(),
    system: "local",
    timestamp: ongoingTimestamp(),
    articleSystemId,
    articleNumber: String(articleSystemId),
    goodsOwnerId,
    path: `/api/v1/articles/${articleSystemId}`,
    webhookTemplate: "Article",
  };
}

/** A transport system's status callback about an order (`/webhooks/transport-status`), happening now. */
export function transportStatusPayload(
  orderId: number,
  goodsOwnerId: number,
  transportStatus: TransportStatusEventWebhook["transportStatus"] = "OnWay",
): TransportStatusEventWebhook {
  return {
    eventId: `local-${freshEventId()}`,
    goodsOwnerId,
    orderId,
    eventTime: new Date().toISOString(),
    eventType: transportStatus === "DeliveredAndReturnedToSender" ? "Return" : "Delivery",
    transportStatus,
    comment: "sent by npm run webhook",
  };
}

/** The payload a route expects, about the given order or article. */
export function webhookPayload(
  route: Route,
  ids: { orderId?: number; articleSystemId?: number; goodsOwnerId: number },
): Record<string, unknown> {
  const isArticle = route.useCase === "article-sync";
  const id = isArticle ? ids.articleSystemId : ids.orderId;
  if (id === undefined) {
    throw new Error(
      `route ${route.path} needs ${isArticle ? "--article <articleSystemId>" : "--order <orderId>"}`,
    );
  }
  if (isArticle) return articleWebhookPayload(id, ids.goodsOwnerId);
  if (route.useCase === "transport-status") return transportStatusPayload(id, ids.goodsOwnerId);
  return orderWebhookPayload(id, ids.goodsOwnerId);
}
