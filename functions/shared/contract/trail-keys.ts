/** The trail table's key names and indexes: shared by the stack (synth) and the trail code (runtime). */

export const trailKeys = {
  eventId: "eventId",
  expiresAt: "expiresAt",
} as const;

/**
 * Keys-only indexes: an attempt's update changes none of their keys, so it costs no index write; a reader
 * finds event ids in an index and gets the items themselves.
 */
export const trailIndexes = {
  /**
   * A subject's journey (`order#<orderId>`, `article#<articleSystemId>`), oldest first. Ongoing's order and article
   * ids are system ids, unique across goods owners, so an operator can trace one without knowing its goods owner.
   */
  bySubject: {
    name: "bySubject",
    partitionKey: { name: "subject", type: "S" },
    sortKey: { name: "receivedAt", type: "N" },
  },
  /** Webhooks by the hour they were received (`2026-12-03T10`): the recent trail and replay of a time range. */
  byHour: {
    name: "byHour",
    partitionKey: { name: "receivedHour", type: "S" },
    sortKey: { name: "receivedAt", type: "N" },
  },
  /** Sparse: only webhooks that failed, by the hour of their latest failure. */
  failures: {
    name: "failures",
    partitionKey: { name: "failedHour", type: "S" },
    sortKey: { name: "failedAt", type: "N" },
  },
} as const;
