/**
 * The article mirror: one DynamoDB item per (goods owner, article) holding Ongoing's article master data.
 * Shared by the webhook consumer, the scheduled reconcile and the backfill script, so all three converge the
 * same way: an observation (what Ongoing said about an article at a moment) is applied only if it is not older
 * than what the item already holds, and only the fields that changed are written.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  QueryCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import DataLoader from "dataloader";
import { documentClient } from "../aws/dynamodb.ts";
import { tombstonesIndex } from "../contract/names.ts";
import {
  type ArticleObservation,
  decide,
  type MirroredField,
  type MirrorItem,
  type MirrorResult,
} from "./article-data.ts";
import { mirrorUpdate } from "./mirror-update.ts";

// The mirror's data and rules are part of its public face: callers import them from here as before.
export {
  type ArticleData,
  type ArticleObservation,
  articleData,
  changedFields,
  dataVersionOf,
  decide,
  isStale,
  type MirrorChange,
  type MirroredField,
  type MirrorItem,
  type MirrorResult,
  mirroredFields,
  type SyncSource,
  sameValue,
  storedData,
  tombstoneTtlSeconds,
} from "./article-data.ts";

export interface ArticleMirrorOptions {
  readonly tableName: string;
  /** Clock, for tests. @default Date.now */
  readonly now?: () => number;
}

const writeAttempts = 5;
/** Keys per BatchGetItem, DynamoDB's limit. */
const keysPerBatchGet = 100;
/** BatchGetItem rounds for keys DynamoDB left unprocessed (throttling) before the read fails. */
const batchGetRounds = 8;

interface MirrorKey {
  readonly goodsOwnerId: number;
  readonly articleSystemId: number;
}

const keyOf = (key: MirrorKey) => `${key.goodsOwnerId}#${key.articleSystemId}`;

/** The article mirror table. */
export class ArticleMirror {
  readonly #tableName: string;
  readonly #now: () => number;
  /** Reads of one tick, batched (see `get`). */
  readonly #reads = new DataLoader<MirrorKey, MirrorItem | undefined>((keys) => this.#readMany(keys), {
    cache: false,
    maxBatchSize: keysPerBatchGet,
  });

  constructor(options: ArticleMirrorOptions) {
    this.#tableName = options.tableName;
    this.#now = options.now ?? Date.now;
  }

  /**
   * One item, read strongly consistent. Reads asked for in the same tick (the records of a batch start together)
   * go to DynamoDB as one BatchGetItem of up to 100 keys, so a batch of 100 webhooks costs one read request, not 100.
   * Nothing is cached: every call reads what the table holds now.
   */
  get(goodsOwnerId: number, articleSystemId: number): Promise<MirrorItem | undefined> {
    return this.#reads.load({ goodsOwnerId, articleSystemId });
  }

  /** Several items of a goods owner at once (for pages of observations); missing ones are absent from the map. */
  async getMany(goodsOwnerId: number, articleSystemIds: readonly number[]): Promise<Map<number, MirrorItem>> {
    const found = new Map<number, MirrorItem>();
    const unique = [...new Set(articleSystemIds)];
    for (let start = 0; start < unique.length; start += keysPerBatchGet) {
      const keys = unique
        .slice(start, start + keysPerBatchGet)
        .map((articleSystemId) => ({ goodsOwnerId, articleSystemId }));
      for (const item of await this.#readMany(keys)) if (item) found.set(item.articleSystemId, item);
    }
    return found;
  }

  /** Up to 100 keys (repeats allowed) in one BatchGetItem, retrying what DynamoDB leaves unprocessed; in key order. */
  async #readMany(keys: readonly MirrorKey[]): Promise<(MirrorItem | undefined)[]> {
    const found = new Map<string, MirrorItem>();
    let pending: Record<string, unknown>[] | undefined = [
      ...new Map(keys.map((key) => [keyOf(key), key])).values(),
    ].map(({ goodsOwnerId, articleSystemId }) => ({ goodsOwnerId, articleSystemId }));
    for (let round = 0; pending && pending.length > 0; round++) {
      if (round >= batchGetRounds)
        throw new Error(`DynamoDB left ${pending.length} mirror reads unprocessed`);
      // Unprocessed keys mean throttling: back off before asking again, as DynamoDB advises.
      if (round > 0) await sleep(Math.min(1_000, 25 * 2 ** round));
      const response: BatchGetCommandOutput = await documentClient.send(
        new BatchGetCommand({
          RequestItems: { [this.#tableName]: { Keys: pending, ConsistentRead: true } },
        }),
      );
      for (const item of response.Responses?.[this.#tableName] ?? []) {
        found.set(keyOf(item as MirrorKey), item as MirrorItem);
      }
      pending = response.UnprocessedKeys?.[this.#tableName]?.Keys;
    }
    return keys.map((key) => found.get(keyOf(key)));
  }

  /** Every item of a goods owner, tombstones included. */
  items(goodsOwnerId: number): AsyncIterable<MirrorItem> {
    return this.#partition(goodsOwnerId);
  }

  /**
   * A goods owner's items (tombstones included) with `fromId <= articleSystemId <= toId` (no `toId`: to the end),
   * in one strongly consistent range query on the table's sort key: a page of Ongoing's list read at once, with
   * the items Ongoing no longer lists in that range among them.
   */
  async between(goodsOwnerId: number, fromId: number, toId?: number): Promise<Map<number, MirrorItem>> {
    const found = new Map<number, MirrorItem>();
    const range =
      toId === undefined
        ? { keyCondition: "articleSystemId >= :from", values: { ":from": fromId } }
        : { keyCondition: "articleSystemId BETWEEN :from AND :to", values: { ":from": fromId, ":to": toId } };
    for await (const item of this.#partition(goodsOwnerId, range)) found.set(item.articleSystemId, item);
    return found;
  }

  /**
   * The tombstones of a goods owner written at or after `sinceMs`, oldest first, from the sparse tombstones
   * index: only tombstones are read, however large the catalogue. The index lags the table slightly; the writes
   * that follow are conditional on the revision, so a stale entry only costs a re-read.
   */
  tombstonesSince(goodsOwnerId: number, sinceMs: number): AsyncIterable<MirrorItem> {
    return this.#partition(goodsOwnerId, {
      indexName: tombstonesIndex.name,
      // `deletedAt` is an ISO-8601 UTC string, so string order is time order.
      keyCondition: "deletedAt >= :since",
      values: { ":since": new Date(sinceMs).toISOString() },
    });
  }

  /** A goods owner's items (or index entries), page by page. */
  async *#partition(
    goodsOwnerId: number,
    index?: { indexName?: string; keyCondition: string; values: Record<string, unknown> },
  ): AsyncIterable<MirrorItem> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const response = await documentClient.send(
        new QueryCommand({
          TableName: this.#tableName,
          KeyConditionExpression: `goodsOwnerId = :goodsOwnerId${index ? ` AND ${index.keyCondition}` : ""}`,
          ExpressionAttributeValues: { ":goodsOwnerId": goodsOwnerId, ...index?.values },
          ExclusiveStartKey: startKey,
          // A global secondary index can only be read eventually consistent.
          ...(index?.indexName ? { IndexName: index.indexName } : { ConsistentRead: true }),
        }),
      );
      for (const item of response.Items ?? []) yield item as MirrorItem;
      startKey = response.LastEvaluatedKey;
    } while (startKey);
  }

  /**
   * Applies an observation: writes only the changed fields, conditional on the revision read, so a concurrent
   * writer is never half-overwritten; on a conflict it re-reads and decides again. `known` skips the first read
   * when the caller already holds the item (or knows there is none: pass `null`); it may have been read before
   * Ongoing was asked, since a write in between fails the condition.
   */
  async apply(observation: ArticleObservation, known?: MirrorItem | null): Promise<MirrorResult> {
    let item =
      known === undefined ? await this.get(observation.goodsOwnerId, observation.articleSystemId) : known;
    for (let attempt = 1; ; attempt++) {
      const { change, fields } = decide(item ?? undefined, observation);
      if (change === "stale" || change === "unchanged")
        return { change, changedFields: [], revision: item?.revision };
      try {
        await this.#write(item ?? undefined, observation, fields);
        return { change, changedFields: fields, revision: (item?.revision ?? 0) + 1 };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException) || attempt >= writeAttempts) throw error;
        item = await this.get(observation.goodsOwnerId, observation.articleSystemId);
      }
    }
  }

  async #write(
    item: MirrorItem | undefined,
    observation: ArticleObservation,
    fields: MirroredField[],
  ): Promise<void> {
    await documentClient.send(
      new UpdateCommand(mirrorUpdate(this.#tableName, item, observation, fields, this.#now())),
    );
  }

  /**
   * Applies a page of observations of one goods owner: one batch read (none when the caller read the items
   * already: `stored`, complete for the page's ids), then a few writes at a time.
   */
  async applyMany(
    goodsOwnerId: number,
    observations: readonly ArticleObservation[],
    concurrency = 8,
    stored?: ReadonlyMap<number, MirrorItem>,
  ): Promise<MirrorResult[]> {
    const items =
      stored ??
      (await this.getMany(
        goodsOwnerId,
        observations.map((observation) => observation.articleSystemId),
      ));
    const results: MirrorResult[] = new Array(observations.length);
    let next = 0;
    const worker = async () => {
      while (next < observations.length) {
        const index = next++;
        const observation = observations[index] as ArticleObservation;
        results[index] = await this.apply(observation, items.get(observation.articleSystemId) ?? null);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, observations.length) }, worker));
    return results;
  }
}
