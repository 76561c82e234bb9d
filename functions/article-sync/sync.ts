/**
 * Use-case 3: mirror Ongoing's article master data. Each webhook is a hint that an article changed; the truth
 * is always Ongoing's current state, fetched now, so late, repeated or reordered webhooks all converge.
 * Per webhook: the mirror read and the Ongoing fetch run side by side, then one conditional write (none when
 * nothing changed), with no idempotency record: a repeat finds the mirror already right and writes nothing.
 * A batch's records all start at once: their mirror reads go out as one batched read, and at most
 * `ongoingFetchesPerBatch` fetches are under way, each slot freed as soon as Ongoing answers, so the mirror
 * writes never keep Ongoing waiting for the next request.
 * A delete costs no fetch: it tombstones at once, and the reconcile heals the rare delete Ongoing did not do.
 */

import { setImmediate } from "node:timers/promises";
import pLimit, { type LimitFunction } from "p-limit";
import { useCaseDependencies } from "../shared/breaker/dependencies.ts";
import { NotFoundError, TransientError } from "../shared/errors.ts";
import type { OngoingClient } from "../shared/ongoing/client.ts";
import type { HandlerContext, UseCaseDefinition, WebhookRecord } from "../shared/pipeline/types.ts";
import { logger } from "../shared/powertools/logger.ts";
import { type ArticleWebhook, articleWebhookSchema } from "../shared/webhooks/schemas.ts";
import { metricOfChange, publishArticleCounts } from "./metrics.ts";
import type { ArticleMirror, ArticleObservation, MirrorResult, SyncSource } from "./mirror.ts";
import { requireOwnArticle } from "./ownership.ts";

export interface ArticleSyncDependencies {
  readonly mirror: ArticleMirror;
  readonly clientFor: (
    goodsOwnerId: number,
    options: { remainingTimeMs: () => number },
  ) => Pick<OngoingClient, "getArticle">;
  /** Clock, for tests. @default Date.now */
  readonly now?: () => number;
}

/**
 * Ongoing fetches of one batch under way at once: what the pipeline's records-at-once default is for the other
 * use-cases, so Ongoing sees the same load from every consumer (per invocation, so in all `maxConcurrency` × this).
 */
export const ongoingFetchesPerBatch = 10;
/** Records of a batch worked on at once: a whole BatchGetItem's worth, so the reads of a batch go out together. */
export const recordsAtOnce = 100;

/** How long a container keeps an observation for reuse, and how many it keeps at most. */
export const recentObservationTtlMs = 30_000;
export const recentObservationLimit = 1000;

interface RecentObservation {
  /** When the fetch was queued (eviction order). */
  readonly queuedAt: number;
  /** The queuing invocation's: once it has answered its batch, a fetch not yet begun never will. */
  readonly batchAnswered: AbortSignal | undefined;
  /** `observedAt`: taken just before Ongoing was asked; unset while the fetch waits for a slot. */
  readonly started: { observedAt?: number };
  readonly promise: Promise<ArticleObservation>;
}

/** The Ongoing fetch slots of one invocation: the batch's shared map is the invocation's identity. */
const fetchSlots = new WeakMap<object, LimitFunction>();

function fetchSlotsOf(context: HandlerContext): LimitFunction {
  let slots = fetchSlots.get(context.batchCache);
  if (!slots) {
    slots = pLimit(ongoingFetchesPerBatch);
    fetchSlots.set(context.batchCache, slots);
  }
  return slots;
}

/**
 * Observations of this container, across batches, by article (oldest first). A burst of repeated events lands
 * in several batches; an event may reuse a fetch that started at or after the ingress received it: Ongoing
 * posts the webhook after the change, so that fetch saw the change or something newer.
 */
const recentObservations = new Map<string, RecentObservation>();

/** Forgets every cross-batch observation (for tests). */
export function forgetRecentObservations(): void {
  recentObservations.clear();
}

function evictRecentObservations(now: number): void {
  for (const [key, entry] of recentObservations) {
    if (now - entry.queuedAt <= recentObservationTtlMs && recentObservations.size <= recentObservationLimit)
      break;
    recentObservations.delete(key);
  }
}

/**
 * Whether an event received at `receivedAt` may take another batch's fetch: one that began at or after that time,
 * or one still waiting for its slot in an invocation that is still running (it will begin later than now, and now
 * is after the event was received).
 */
function mayShare(entry: RecentObservation, receivedAt: number): boolean {
  const { observedAt } = entry.started;
  if (observedAt !== undefined) return observedAt >= receivedAt;
  return entry.batchAnswered?.aborted !== true;
}

/**
 * Ongoing's current view of an article. Several events about one article in a batch share one fetch; an event
 * whose ingress time (`receivedAt`, epoch ms) is known may also reuse a fetch of an earlier batch in this
 * container (see `mayShare`). Without `receivedAt` only the batch's fetch is shared.
 * The fetch waits for one of the batch's `ongoingFetchesPerBatch` slots.
 */
export function observeArticle(
  dependencies: ArticleSyncDependencies,
  payload: Pick<ArticleWebhook, "goodsOwnerId" | "articleSystemId">,
  source: SyncSource,
  context: HandlerContext,
  receivedAt?: number,
): Promise<ArticleObservation> {
  const { goodsOwnerId, articleSystemId } = payload;
  const key = `article#${goodsOwnerId}#${articleSystemId}`;
  const now = dependencies.now ?? Date.now;
  const withSource = (shared: Promise<ArticleObservation>) =>
    shared.then((observation) => ({ ...observation, source }));
  const cached = context.batchCache.get(key) as Promise<ArticleObservation> | undefined;
  if (cached) return withSource(cached);
  const queuedAt = now();
  evictRecentObservations(queuedAt);
  const recent = recentObservations.get(key);
  // Not put in the batch cache: a later record of this batch may have been received after this fetch began.
  if (recent && receivedAt !== undefined && mayShare(recent, receivedAt)) return withSource(recent.promise);
  const started: RecentObservation["started"] = {};
  const promise = fetchSlotsOf(context)(async (): Promise<ArticleObservation> => {
    // Its invocation is over (it timed out waiting, say): nobody waits for this answer, so Ongoing is not asked.
    if (context.signal?.aborted) {
      throw new TransientError("fetch-abandoned", "the invocation ended before the article fetch began");
    }
    // Taken before asking: anything written after this moment saw at least this state.
    const observedAt = now();
    started.observedAt = observedAt;
    const client = dependencies.clientFor(goodsOwnerId, { remainingTimeMs: () => context.remainingTimeMs() });
    try {
      const article = requireOwnArticle(goodsOwnerId, await client.getArticle(articleSystemId));
      return { goodsOwnerId, articleSystemId, article, observedAt, source };
    } catch (error) {
      if (error instanceof NotFoundError)
        return { goodsOwnerId, articleSystemId, article: undefined, observedAt, source };
      throw error;
    }
  });
  const entry: RecentObservation = { queuedAt, batchAnswered: context.signal, started, promise };
  context.batchCache.set(key, entry.promise);
  // Re-inserted at the end, so the map stays in order of queuedAt.
  recentObservations.delete(key);
  recentObservations.set(key, entry);
  evictRecentObservations(queuedAt);
  entry.promise.catch(() => {
    if (recentObservations.get(key) === entry) recentObservations.delete(key);
  });
  return entry.promise;
}

/**
 * Fetches from Ongoing and reads the mirror at the same time: the write is conditional on the revision read, so
 * a change between the read and the write makes it re-read and decide again. A decision to write nothing is
 * checked against a second read, because no conditional write guards it: a tombstone written while the fetch
 * was under way must still be weighed against what the fetch found.
 */
async function observeAndApply(
  dependencies: ArticleSyncDependencies,
  record: WebhookRecord<ArticleWebhook>,
  source: SyncSource,
  context: HandlerContext,
): Promise<MirrorResult> {
  const { goodsOwnerId, articleSystemId } = record.payload;
  // Both settle before the record fails: a record never leaves its fetch behind, still queued for a slot.
  const [read, observed] = await Promise.allSettled([
    dependencies.mirror.get(goodsOwnerId, articleSystemId),
    observeArticle(dependencies, record.payload, source, context, record.receivedAt),
  ]);
  if (read.status === "rejected") throw read.reason;
  if (observed.status === "rejected") throw observed.reason;
  const [stored, observation] = [read.value, observed.value];
  // Let the other answers that arrived meanwhile free their slots first: their next fetches go out before this
  // write is prepared, so Ongoing's slots do not wait on the mirror's CPU work.
  await setImmediate();
  const result = await dependencies.mirror.apply(observation, stored ?? null);
  if (result.change !== "unchanged" && result.change !== "stale") return result;
  const current = await dependencies.mirror.get(goodsOwnerId, articleSystemId);
  if (current?.revision === stored?.revision) return result;
  return dependencies.mirror.apply(observation, current ?? null);
}

export function articleSync(
  dependencies: ArticleSyncDependencies,
): UseCaseDefinition<typeof articleWebhookSchema> {
  const now = dependencies.now ?? Date.now;
  return {
    useCase: "article-sync",
    schema: articleWebhookSchema,
    dependencies: useCaseDependencies["article-sync"],
    // The mirror is its own deduplication: a repeat re-observes Ongoing and writes only what changed (nothing).
    idempotency: false,
    // Ongoing's load is bounded by the fetch slots, not by how many records are under way.
    maxConcurrency: recordsAtOnce,
    correlationIds: (payload) => ({
      goodsOwnerId: payload.goodsOwnerId,
      articleSystemId: payload.articleSystemId,
    }),
    async handle(record: WebhookRecord<ArticleWebhook>, context) {
      const { goodsOwnerId, articleSystemId, webhookEventId } = record.payload;
      const source: SyncSource = { kind: "webhook", eventType: record.eventType, webhookEventId };
      const { change, changedFields } =
        record.eventType === "article-deleted"
          ? await dependencies.mirror.apply({
              goodsOwnerId,
              articleSystemId,
              article: undefined,
              // Ongoing had deleted it by the time the ingress got the webhook; a fetch begun later knows better.
              observedAt: record.receivedAt ?? now(),
              source,
            })
          : await observeAndApply(dependencies, record, source, context);
      // The record's logger carries its correlation keys (API request id, message id).
      (context.logger ?? logger).info("article mirrored", {
        goodsOwnerId,
        articleSystemId,
        eventType: record.eventType,
        change,
        changedFieldCount: changedFields.length,
        changedFields,
      });
      const metric = metricOfChange[change];
      if (metric) publishArticleCounts(goodsOwnerId, { [metric]: 1 });
      if (change === "stale") return { status: "skipped", reason: "newer-view-already-mirrored" };
      if (change === "unchanged") return { status: "skipped", reason: "article-unchanged" };
      return { status: "done", detail: { change, changedFieldCount: changedFields.length } };
    },
  };
}
