/**
 * The article mirror's data and rules, without I/O: which of Ongoing's article fields are mirrored, what an item
 * and an observation are, and what applying an observation to an item does (`decide`): an observation older than
 * the item never overwrites it, and only the fields that changed are written.
 */

import { parseOngoingTimestamp } from "../contract/webhook-schemas.ts";
import type { OngoingArticle } from "../ongoing/model.ts";
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
