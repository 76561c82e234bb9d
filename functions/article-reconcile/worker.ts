/**
 * The reconcile's worker: consumes the units the dispatcher (and units that continue) queue, one goods owner per
 * message, in the consumer pipeline like every use-case (retries with backoff, a dead-letter queue with the
 * reason, the same metrics and logs). Like the use-cases it is behind Ongoing's circuit breaker: while Ongoing is
 * down its units wait (requeued, spending no receives) instead of dead-lettering as `exhausted`.
 */

import { publishArticleCounts } from "../shared/articles/metrics.ts";
import { ArticleMirror } from "../shared/articles/mirror.ts";
import { useCaseDependencies } from "../shared/contract/dependencies.ts";
import { articleReconcileWorkerSettingsSchema } from "../shared/contract/settings.ts";
import { settingsOf } from "../shared/function-settings.ts";
import { ongoingClientFor } from "../shared/ongoing/client.ts";
import { createConsumer } from "../shared/pipeline/consumer.ts";
import { ReconcileCheckpoints } from "./checkpoints.ts";
import { queueReconcileUnits } from "./queue.ts";
import { reconcileEventTypes, reconcileMessageSchema, reconcileUnit, type UnitDependencies } from "./unit.ts";
import { ReconcileWatermarks } from "./watermark.ts";

const settings = settingsOf(articleReconcileWorkerSettingsSchema);

const dependencies: UnitDependencies = {
  mirror: new ArticleMirror({ tableName: settings.ARTICLES_TABLE_NAME }),
  watermarks: new ReconcileWatermarks(settings.STATE_TABLE_NAME),
  checkpoints: new ReconcileCheckpoints(settings.STATE_TABLE_NAME),
  clientFor: ongoingClientFor,
  pageSize: settings.RECONCILE_PAGE_SIZE,
};

export const handler = createConsumer({
  useCase: "article-reconcile",
  schema: reconcileMessageSchema,
  eventTypes: reconcileEventTypes,
  // A repeated message finds its run finished or leased in the state table: the run is its own deduplication.
  idempotency: false,
  dependencies: useCaseDependencies["article-reconcile"],
  maxConcurrency: 1,
  correlationIds: (message) => ({ runId: message.runId, mode: message.mode }),
  async handle(record, context) {
    const outcome = await reconcileUnit(dependencies, record.payload, {
      owner: record.messageId,
      remainingTimeMs: context.remainingTimeMs,
      continueLater: (next) => queueReconcileUnits(settings.RECONCILE_QUEUE_URL, [next]),
    });
    if (outcome.status === "skipped") return { status: "skipped", reason: outcome.reason };
    const { summary } = outcome;
    context.logger?.info(
      outcome.status === "finished" ? "articles reconciled" : "article reconcile continues",
      {
        ...summary,
      },
    );
    if (summary.unlisted) {
      context.logger?.warn("Ongoing's article list left out articles it still has: kept, not deleted", {
        unlisted: summary.unlisted,
      });
    }
    if (outcome.status === "finished") {
      publishArticleCounts(summary.goodsOwnerId, {
        ArticlesCreated: summary.counts.created,
        ArticlesUpdated: summary.counts.updated,
        ArticlesDeleted: summary.counts.deleted,
        ArticlesReconciled: summary.reconciled,
      });
    }
    return {
      status: "done",
      detail: {
        outcome: outcome.status,
        slices: summary.slices,
        pages: summary.pages,
        reconciled: summary.reconciled,
      },
    };
  },
});
