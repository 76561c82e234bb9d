/**
 * Key schemas of the two DynamoDB tables: one definition read by the CDK stack and by the tests that create
 * the tables in a local DynamoDB (the local stack creates them from the synthesized template instead).
 */

export interface TableDefinition {
  readonly partitionKey: { readonly name: string; readonly type: "S" | "N" };
  readonly sortKey?: { readonly name: string; readonly type: "S" | "N" };
  /** Epoch-seconds attribute DynamoDB's TTL deletes expired items by. */
  readonly timeToLiveAttribute: string;
}

/**
 * Idempotency records (Powertools: `id`, `expiration`, `status`, …) and workflow records (`id` = `<kind>#<key>`).
 */
export const stateTable: TableDefinition = {
  partitionKey: { name: "id", type: "S" },
  timeToLiveAttribute: "expiration",
};

/** The article mirror: one item per goods owner and article; tombstones are purged by TTL. */
export const articlesTable: TableDefinition = {
  partitionKey: { name: "goodsOwnerId", type: "N" },
  sortKey: { name: "articleSystemId", type: "N" },
  timeToLiveAttribute: "purgeAt",
};
