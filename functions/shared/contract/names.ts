/**
 * Names the stack creates or grants on and the functions use, declared once so both agree: the metrics namespace,
 * the article mirror's secondary index and the booking documents' key prefix.
 */

/** Every function's CloudWatch metrics namespace (the dashboard and alarms read it). */
export const metricsNamespace = "OngoingWebhooks";

/**
 * Tombstones by goods owner and `deletedAt`. Sparse: only a tombstone has `deletedAt`, and a revived article
 * loses it, so the index holds just the current tombstones, oldest first.
 */
export const tombstonesIndex = {
  name: "tombstones",
  partitionKey: { name: "goodsOwnerId", type: "N" },
  sortKey: { name: "deletedAt", type: "S" },
} as const;

/** Every booking document's key starts with this: the stack grants transport-booking put and get on it only. */
export const bookingDocumentsPrefix = "booking-documents/";
