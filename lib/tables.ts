import { tombstonesIndex } from "../functions/shared/contract/names.ts";
import { trailIndexes, trailKeys } from "../functions/shared/contract/trail-keys.ts";

/**
 * Key schemas of the two DynamoDB tables: one definition read by the CDK stack and by the tests that create
 * the tables in a local DynamoDB (the local stack creates them from the synthesized template instead).
 */

export interface KeyAttribute {
  readonly name: string;
  readonly type: "S" | "N";
}

export interface TableDefinition {
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** Epoch-seconds attribute DynamoDB's TTL deletes expired items by. */
  readonly timeToLiveAttribute: string;
  /** Global secondary indexes, each projecting every attribute unless `keysOnly`. @default none */
  readonly indexes?: readonly {
    readonly name: string;
    readonly partitionKey: KeyAttribute;
    readonly sortKey: KeyAttribute;
    /** Project the keys only: an update that changes no index key then costs no index write. @default false */
    readonly keysOnly?: boolean;
  }[];
}

/**
 * Idempotency records (Powertools: `id`, `expiration`, `status`, …) and workflow records (`id` = `<kind>#<key>`).
 */
export const stateTable: TableDefinition = {
  partitionKey: { name: "id", type: "S" },
  timeToLiveAttribute: "expiration",
};

/**
 * The article mirror: one item per goods owner and article; tombstones are purged by TTL, and a sparse index
 * finds them by when they were written (the reconcile's re-check) without reading the whole catalogue.
 */
export const articlesTable: TableDefinition = {
  partitionKey: { name: "goodsOwnerId", type: "N" },
  sortKey: { name: "articleSystemId", type: "N" },
  timeToLiveAttribute: "purgeAt",
  indexes: [tombstonesIndex],
};

/**
 * The operator's trail (functions/shared/trail/): one item per accepted webhook, by its event id, deleted by TTL;
 * keys-only indexes find a subject's webhooks, those of an hour, and those that failed (sparse).
 */
export const trailTable: TableDefinition = {
  partitionKey: { name: trailKeys.eventId, type: "S" },
  timeToLiveAttribute: trailKeys.expiresAt,
  indexes: Object.values(trailIndexes).map((index) => ({ ...index, keysOnly: true })),
};
