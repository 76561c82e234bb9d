/**
 * Ongoing's current view of an article for article-sync, fetched as few times as is safe: several events about
 * one article in a batch share one fetch, an event may reuse a recent fetch of an earlier batch in this container
 * (shared/recent-fetches.ts), and at most `ongoingFetchesPerBatch` fetches of a batch are under way at once.
 */
import pLimit, { type LimitFunction } from "p-limit";
import type { ArticleMirror, ArticleObservation, SyncSource } from "../shared/articles/mirror.ts";
import { requireOwnArticle } from "../shared/articles/ownership.ts";
import type { ArticleWebhook } from "../shared/contract/webhook-schemas.ts";
import { NotFoundError, TransientError } from "../shared/errors.ts";
import { InvocationScope } from "../shared/invocation-scope.ts";
import type { OngoingClient } from "../shared/ongoing/client.ts";
import type { HandlerContext } from "../shared/pipeline/types.ts";
import { type RecentFetch, RecentFetches } from "../shared/recent-fetches.ts";
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

/** How long a container keeps an observation for reuse, and how many it keeps at most. */
export const recentObservationTtlMs = 30_000;
export const recentObservationLimit = 1000;

/** The Ongoing fetch slots of one invocation. */
const fetchSlots = new InvocationScope<LimitFunction>();

const fetchSlotsOf = (context: HandlerContext): LimitFunction =>
  fetchSlots.of(context.batchCache, () => pLimit(ongoingFetchesPerBatch));

/** Observations of this container, across batches, by article. */
const recentObservations = new RecentFetches<ArticleObservation>(
  recentObservationTtlMs,
  recentObservationLimit,
);

/** Forgets every cross-batch observation (for tests). */
export function forgetRecentObservations(): void {
  recentObservations.clear();
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
  const recent = recentObservations.reusable(key, receivedAt, queuedAt);
  // Not put in the batch cache: a later record of this batch may have been received after this fetch began.
  if (recent) return withSource(recent);
  const started: RecentFetch<ArticleObservation>["started"] = {};
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
  context.batchCache.set(key, promise);
  recentObservations.add(key, { queuedAt, batchAnswered: context.signal, started, promise });
  return promise;
}
