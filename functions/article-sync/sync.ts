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
import { metricOfChange, publishArticleCounts } from "../shared/articles/metrics.ts";
import type { MirrorResult, SyncSource } from "../shared/articles/mirror.ts";
import { useCaseDependencies } from "../shared/contract/dependencies.ts";
import { type ArticleWebhook, articleWebhookSchema } from "../shared/contract/webhook-schemas.ts";
import type { HandlerContext, UseCaseDefinition, WebhookRecord } from "../shared/pipeline/types.ts";
import { logger } from "../shared/powertools/logger.ts";
import { type ArticleSyncDependencies, observeArticle } from "./observe.ts";

/** Records of a batch worked on at once: a whole BatchGetItem's worth, so the reads of a batch go out together. */
export const recordsAtOnce = 100;

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
      const { change, changedFields, revision } =
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
      return {
        status: "done",
        detail: { change, changedFieldCount: changedFields.length },
        effect: { change, ...(revision ? { mirrorRevision: String(revision) } : {}) },
      };
    },
  };
}
