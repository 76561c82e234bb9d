/**
 * Use-case 3: mirror Ongoing's article master data. Each webhook is a hint that an article changed; the truth
 * is always Ongoing's current state, fetched now, so late, repeated or reordered webhooks all converge.
 * A delete costs no fetch: it tombstones at once, and the reconcile heals the rare delete Ongoing did not do.
 */
import { NotFoundError } from "../shared/errors.ts";
import type { OngoingClient } from "../shared/ongoing/client.ts";
import type { HandlerContext, UseCaseDefinition, WebhookRecord } from "../shared/pipeline/types.ts";
import { logger } from "../shared/powertools/logger.ts";
import { type ArticleWebhook, articleWebhookSchema } from "../shared/webhooks/schemas.ts";
import { metricOfChange, publishArticleCounts } from "./metrics.ts";
import type { ArticleMirror, ArticleObservation, SyncSource } from "./mirror.ts";

export interface ArticleSyncDependencies {
  readonly mirror: ArticleMirror;
  readonly clientFor: (
    goodsOwnerId: number,
    options: { remainingTimeMs: () => number },
  ) => Pick<OngoingClient, "getArticle">;
  /** Clock, for tests. @default Date.now */
  readonly now?: () => number;
}

/** Ongoing's current view of an article; several events about one article in a batch share one fetch. */
export function observeArticle(
  dependencies: ArticleSyncDependencies,
  payload: Pick<ArticleWebhook, "goodsOwnerId" | "articleSystemId">,
  source: SyncSource,
  context: HandlerContext,
): Promise<ArticleObservation> {
  const { goodsOwnerId, articleSystemId } = payload;
  const key = `article#${goodsOwnerId}#${articleSystemId}`;
  const cached = context.batchCache.get(key) as Promise<ArticleObservation> | undefined;
  if (cached) return cached.then((observation) => ({ ...observation, source }));
  const now = dependencies.now ?? Date.now;
  const observation = (async (): Promise<ArticleObservation> => {
    // Taken before asking: anything written after this moment saw at least this state.
    const observedAt = now();
    const client = dependencies.clientFor(goodsOwnerId, { remainingTimeMs: () => context.remainingTimeMs() });
    try {
      const article = await client.getArticle(articleSystemId);
      return { goodsOwnerId, articleSystemId, article, observedAt, source };
    } catch (error) {
      if (error instanceof NotFoundError)
        return { goodsOwnerId, articleSystemId, article: undefined, observedAt, source };
      throw error;
    }
  })();
  context.batchCache.set(key, observation);
  return observation;
}

export function articleSync(
  dependencies: ArticleSyncDependencies,
): UseCaseDefinition<typeof articleWebhookSchema> {
  const now = dependencies.now ?? Date.now;
  return {
    useCase: "article-sync",
    schema: articleWebhookSchema,
    // Every Ongoing event has its own id, so a later real change is never swallowed; the route is part of the key
    // because the created, updated and deleted webhooks are separate webhooks in Ongoing.
    idempotencyKey: (record) =>
      `article-sync#${record.eventType}#${record.payload.goodsOwnerId}#${record.payload.webhookEventId}`,
    correlationIds: (payload) => ({
      goodsOwnerId: payload.goodsOwnerId,
      articleSystemId: payload.articleSystemId,
    }),
    async handle(record: WebhookRecord<ArticleWebhook>, context) {
      const { goodsOwnerId, articleSystemId, webhookEventId } = record.payload;
      const source: SyncSource = { kind: "webhook", eventType: record.eventType, webhookEventId };
      const observation: ArticleObservation =
        record.eventType === "article-deleted"
          ? { goodsOwnerId, articleSystemId, article: undefined, observedAt: now(), source }
          : await observeArticle(dependencies, record.payload, source, context);
      const { change, changedFields } = await dependencies.mirror.apply(observation);
      logger.info("article mirrored", {
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
