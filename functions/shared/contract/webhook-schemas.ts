/**
 * The webhook payloads Ongoing WMS sends, as zod schemas: the single source of truth for what a payload is.
 * The API Gateway request models are generated from these (see `requestModel`), so the edge and the
 * functions never disagree. Lenient to unknown fields (Ongoing may add some), strict about the ids we need.
 */
import * as z from "zod";

/** A positive whole-number id, as Ongoing's ids are. */
const id = z.number().int().positive();

/**
 * Ongoing's `timestamp`: seven decimals and no time zone ("2023-01-01T12:00:00.0000000"); Ongoing's times are
 * UTC, so a zone-less value is read as UTC. A value that carries its own zone is read as such.
 */
export const ongoingTimestamp = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?(Z|[+-]\d{2}:\d{2})?$/,
    "an ISO 8601 date-time such as 2023-01-01T12:00:00.0000000 (UTC when no zone is given)",
  );

/** Reads an Ongoing timestamp as a Date in UTC (zone-less means UTC; more than 3 decimals are truncated). */
export function parseOngoingTimestamp(value: string): Date {
  const match = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d{1,7}))?(Z|[+-]\d{2}:\d{2})?$/.exec(value);
  if (!match) throw new TypeError(`not an Ongoing timestamp: ${value}`);
  const [, base, fraction = "0", zone = "Z"] = match;
  return new Date(`${base}.${fraction.padEnd(3, "0").slice(0, 3)}${zone}`);
}

/** Fields every Ongoing webhook payload carries. */
const common = {
  webhookEventId: id,
  goodsOwnerId: id,
  system: z.string().optional(),
  timestamp: ongoingTimestamp.optional(),
  path: z.string().optional(),
  webhookTemplate: z.string().optional(),
};

/** Order webhook ("Order is created / picked / status is changed"). */
export const orderWebhookSchema = z.looseObject({
  ...common,
  webhookOrdersId: z.number().int().optional(),
  orderId: id,
  orderNumber: z.string().optional(),
  goodsOwnerOrderId: z.string().nullable().optional(),
  consigneeOrderNumber: z.string().nullable().optional(),
  goodsOwnerName: z.string().nullable().optional(),
  orderStatus: z.looseObject({ number: z.number().int() }).nullable().optional(),
  currentShipmentId: z.number().int().nullable().optional(),
});
export type OrderWebhook = z.infer<typeof orderWebhookSchema>;

/** Article webhook ("Article is created / updated / deleted"); which one fired is told by the route. */
export const articleWebhookSchema = z.looseObject({
  ...common,
  webhookArticlesId: z.number().int().optional(),
  articleSystemId: id,
  articleNumber: z.string().optional(),
});
export type ArticleWebhook = z.infer<typeof articleWebhookSchema>;

/** The transport statuses Ongoing's `ReportOrderTransportStatusEvent` knows. */
export const transportStatuses = [
  "Printed",
  "PickedUpByCarrier",
  "OnWay",
  "AtPickUpPlace",
  "Delivered",
  "DeliveredAndReturnedToSender",
  "Cancelled",
] as const;

/**
 * A transport system's status callback about one booked order (docs/use-case-transport-booking.md). Sent by the
 * transport system, not Ongoing: its `eventId` is the sender's, unique per event and the same on a resend.
 */
export const transportStatusEventSchema = z.looseObject({
  eventId: z.string().min(1).max(200),
  goodsOwnerId: id,
  orderId: id,
  waybill: z.string().max(200).optional(),
  /** When it happened at the carrier; a zone-less time is UTC, as Ongoing's. */
  eventTime: ongoingTimestamp,
  eventType: z.enum(["Delivery", "Return"]),
  transportStatus: z.enum(transportStatuses),
  /** Ongoing keeps at most 400 characters. */
  comment: z.string().max(400).optional(),
});
export type TransportStatusEventWebhook = z.infer<typeof transportStatusEventSchema>;

/** Any payload, as a consumer receives it. */
export type WebhookPayload = OrderWebhook | ArticleWebhook | TransportStatusEventWebhook;

/**
 * The JSON schema (draft 4, what API Gateway models speak) for a payload schema. Only the structural
 * checks survive the conversion (types, required ids, integer-ness, minimum); the functions re-validate
 * with zod, which is the stricter of the two.
 */
export function requestModel(schema: z.ZodType): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { target: "draft-04", io: "input", unrepresentable: "any" });
  return json as Record<string, unknown>;
}
