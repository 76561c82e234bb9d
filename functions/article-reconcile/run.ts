/** One reconcile run over several goods owners: each one reconciled, logged and counted on its own. */
import { publishArticleCounts } from "../article-sync/metrics.ts";
import { describeError } from "../shared/errors.ts";
import { dimensionedMetrics } from "../shared/powertools/dimensioned-metrics.ts";
import { logger } from "../shared/powertools/logger.ts";
import { type ReconcileDependencies, type ReconcileSummary, reconcileArticles } from "./reconcile.ts";

export async function reconcileGoodsOwners(
  dependencies: ReconcileDependencies,
  request: { mode: "incremental" | "full"; goodsOwnerIds: readonly number[]; remainingTimeMs: () => number },
): Promise<{ summaries: ReconcileSummary[] }> {
  const summaries: ReconcileSummary[] = [];
  const failed: number[] = [];
  for (const goodsOwnerId of request.goodsOwnerIds) {
    try {
      const summary = await reconcileArticles(dependencies, { ...request, goodsOwnerId });
      summaries.push(summary);
      logger.info("articles reconciled", { ...summary });
      publishArticleCounts(goodsOwnerId, {
        ArticlesCreated: summary.counts.created,
        ArticlesUpdated: summary.counts.updated,
        ArticlesDeleted: summary.counts.deleted,
        ArticlesReconciled: summary.reconciled,
      });
      // A run may take many minutes: each goods owner's counts and Ongoing calls are written as it finishes.
      dimensionedMetrics.publish();
    } catch (error) {
      // One goods owner's failure must not stop the others; the run still fails below so it is alarmed on.
      failed.push(goodsOwnerId);
      logger.error("article reconcile failed", {
        goodsOwnerId,
        mode: request.mode,
        error: describeError(error),
      });
    }
  }
  if (failed.length > 0) {
    throw new Error(`Article reconcile failed for goods owner(s) ${failed.join(", ")}; the others completed`);
  }
  return { summaries };
}
