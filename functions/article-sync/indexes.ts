/**
 * The article mirror's secondary index, named here so the stack (which creates it) and the mirror (which
 * queries it) agree. No imports, so the CDK app can read it without loading any runtime code.
 */

/**
 * Tombstones by goods owner and `deletedAt`. Sparse: only a tombstone has `deletedAt`, and a revived article
 * loses it, so the index holds just the current tombstones, oldest first.
 */
export const tombstonesIndex = {
  name: "tombstones",
  partitionKey: { name: "goodsOwnerId", type: "N" },
  sortKey: { name: "deletedAt", type: "S" },
} as const;
