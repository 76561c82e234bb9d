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
import { documentClient } from "../shared/aws/dynamodb.ts";
import type { OngoingArticle } from "../shared/ongoing/model.ts";
import { parseOngoingTimestamp } from "../shared/webhooks/schemas.ts";
import { tombstonesIndex } from "./indexes.ts";

/** Ongoing's article master data we mirror; `inventoryInfo` changes constantly and is left out on purpose. */
export const mirroredFields = [
  "articleNumber",
  "articleName",
  "productCode",
  "unitCode",
  "description",
  "isStockArticle",
  "isActive",
  "barCodeInfo",
  "weight",
  "length",
  "width",
  "height",
  "volume",
  "netWeight",
  "purchasePrice",
  "stockValuationPrice",
  "customerPrice",
  "purcaseCurrencyCode",
  "countryOfOriginCode",
  "statisticsNumber",
  "articleGroup",
  "articleCategory",
  "supplierInfo",
  "articleDataLastUpdated",
] as const;
export type MirroredField = (typeof mirroredFields)[number];

/** The master data of one article as the mirror holds it: absent (null) fields are left out. */
export type ArticleData = Partial<Record<MirroredField, unknown>>;

/** Tombstones are purged this long after the delete: longer than Ongoing's one day of retries. */
export const tombstoneTtlSeconds = 30 * 24 * 3600;

/** Where an observation came from, stored on the item ("synced from which event"). */
export interface SyncSource {
  readonly kind: "webhook" | "reconcile" | "backfill";
  readonly eventType?: string;
  readonly webhookEventId?: number;
}

/** What Ongoing said about one article at one moment. `article` undefined: Ongoing no longer has it. */
export interface ArticleObservation {
  readonly goodsOwnerId: number;
  readonly articleSystemId: number;
  readonly article: OngoingArticle | undefined;
  /** When Ongoing was asked (epoch ms): the order in which observations win. */
  readonly observedAt: number;
  readonly source: SyncSource;
}

/** A mirror item as stored. */
export interface MirrorItem extends ArticleData {
  readonly goodsOwnerId: number;
  readonly articleSystemId: number;
  /** Increments with every write; the optimistic lock of the next one. */
  readonly revision: number;
  readonly observedAt: number;
  /** `articleDataLastUpdated` as epoch ms, when Ongoing gave one: Ongoing's own ordering of its data. */
  readonly dataVersion?: number;
  readonly syncedAt: string;
  readonly syncedBy: SyncSource;
  readonly deleted?: boolean;
  readonly deletedAt?: string;
  readonly purgeAt?: number;
}

export type MirrorChange = "created" | "updated" | "unchanged" | "deleted" | "stale";

export interface MirrorResult {
  readonly change: MirrorChange;
  /** Names (never values) of the master-data fields written. */
  readonly changedFields: readonly string[];
  /** The mirror item's revision after this observation (undefined: there is no item). */
  readonly revision?: number | undefined;
}

/** The mirrored master data of an Ongoing article: the listed fields, nulls dropped. */
export function articleData(article: OngoingArticle): ArticleData {
  const data: ArticleData = {};
  for (const field of mirroredFields) {
    const value = (article as Record<string, unknown>)[field];
    if (value !== null && value !== undefined) data[field] = withoutUndefined(value);
  }
  return data;
}

/** The mirrored master data held by an item (none for a tombstone). */
export function storedData(item: MirrorItem | undefined): ArticleData {
  const data: ArticleData = {};
  if (!item || item.deleted) return data;
  for (const field of mirroredFields) {
    if (item[field] !== undefined && item[field] !== null) data[field] = item[field];
  }
  return data;
}

function withoutUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutUndefined);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, inner]) => inner !== undefined)
        .map(([key, inner]) => [key, withoutUndefined(inner)]),
    );
  }
  return value;
}

/** Structural equality, blind to key order (DynamoDB maps do not keep it). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((item, index) => sameValue(item, b[index]))
    );
  }
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  const aKeys = Object.keys(a).filter((key) => (a as Record<string, unknown>)[key] !== undefined);
  const bKeys = Object.keys(b).filter((key) => (b as Record<string, unknown>)[key] !== undefined);
  return (
    aKeys.length === bKeys.length &&
    aKeys.every((key) => sameValue((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]))
  );
}

/** The fields whose value differs between two views of an article (a field present in one only counts). */
export function changedFields(before: ArticleData, after: ArticleData): MirroredField[] {
  return mirroredFields.filter((field) => !sameValue(before[field], after[field]));
}

/** `articleDataLastUpdated` as epoch ms, or undefined when missing or unreadable. */
export function dataVersionOf(article: OngoingArticle | undefined): number | undefined {
  const value = article?.articleDataLastUpdated;
  if (!value) return undefined;
  try {
    const time = parseOngoingTimestamp(value).getTime();
    return Number.isNaN(time) ? undefined : time;
  } catch {
    return undefined;
  }
}

/**
 * An observation older than the item must not overwrite it: asked Ongoing earlier, or Ongoing's own
 * `articleDataLastUpdated` says the stored data is newer.
 */
export function isStale(item: MirrorItem | undefined, observation: ArticleObservation): boolean {
  if (!item) return false;
  if (item.observedAt > observation.observedAt) return true;
  const incoming = dataVersionOf(observation.article);
  return item.dataVersion !== undefined && incoming !== undefined && item.dataVersion > incoming;
}

/** What applying an observation to an item would do, without writing: the decision in one pure function. */
export function decide(
  item: MirrorItem | undefined,
  observation: ArticleObservation,
): { change: MirrorChange; fields: MirroredField[] } {
  if (isStale(item, observation)) return { change: "stale", fields: [] };
  const before = storedData(item);
  if (!observation.article) {
    const gone = item?.deleted === true;
    return { change: gone ? "unchanged" : "deleted", fields: gone ? [] : changedFields(before, {}) };
  }
  const fields = changedFields(before, articleData(observation.article));
  if (!item || item.deleted) return { change: "created", fields };
  return { change: fields.length === 0 ? "unchanged" : "updated", fields };
}

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
    const now = this.#now();
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {
      ":revision": (item?.revision ?? 0) + 1,
      ":observedAt": observation.observedAt,
      ":syncedAt": new Date(now).toISOString(),
      ":syncedBy": observation.source,
    };
    const set = [
      "revision = :revision",
      "observedAt = :observedAt",
      "syncedAt = :syncedAt",
      "syncedBy = :syncedBy",
    ];
    const remove: string[] = [];
    const data = observation.article ? articleData(observation.article) : {};
    fields.forEach((field, index) => {
      names[`#f${index}`] = field;
      if (data[field] === undefined) remove.push(`#f${index}`);
      else {
        values[`:f${index}`] = data[field];
        set.push(`#f${index} = :f${index}`);
      }
    });
    const dataVersion = dataVersionOf(observation.article);
    if (dataVersion !== undefined) {
      values[":dataVersion"] = dataVersion;
      set.push("dataVersion = :dataVersion");
    } else if (item?.dataVersion !== undefined) remove.push("dataVersion");
    if (observation.article) {
      if (item?.deleted) remove.push("deleted", "deletedAt", "purgeAt");
    } else {
      values[":deleted"] = true;
      values[":deletedAt"] = new Date(now).toISOString();
      values[":purgeAt"] = Math.floor(now / 1000) + tombstoneTtlSeconds;
      set.push("deleted = :deleted", "deletedAt = :deletedAt", "purgeAt = :purgeAt");
    }
    if (item) values[":read"] = item.revision;
    await documentClient.send(
      new UpdateCommand({
        TableName: this.#tableName,
        Key: { goodsOwnerId: observation.goodsOwnerId, articleSystemId: observation.articleSystemId },
        UpdateExpression: `SET ${set.join(", ")}${remove.length > 0 ? ` REMOVE ${remove.join(", ")}` : ""}`,
        ConditionExpression: item ? "revision = :read" : "attribute_not_exists(articleSystemId)",
        ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
        ExpressionAttributeValues: values,
      }),
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
