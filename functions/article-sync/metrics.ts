/** The article mirror's own metrics, per goods owner (dimension `goodsOwnerId`), on the shared metrics instance. */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { metrics } from "../shared/powertools/metrics.ts";
import type { MirrorChange } from "./mirror.ts";

export type ArticleMetric =
  | "ArticlesCreated"
  | "ArticlesUpdated"
  | "ArticlesUnchanged"
  | "ArticlesDeleted"
  | "ArticlesReconciled";

/** The metric a mirror change counts toward (a stale view is not counted: something newer already won). */
export const metricOfChange: Record<MirrorChange, ArticleMetric | undefined> = {
  created: "ArticlesCreated",
  updated: "ArticlesUpdated",
  unchanged: "ArticlesUnchanged",
  deleted: "ArticlesDeleted",
  stale: undefined,
};

/** Publishes counts for one goods owner at once (its own dimension set, so it never mixes with the batch's). */
export function publishArticleCounts(
  goodsOwnerId: number,
  counts: Partial<Record<ArticleMetric, number>>,
): void {
  for (const [name, value] of Object.entries(counts)) {
    if (!value) continue;
    metrics
      .singleMetric()
      .addDimension("goodsOwnerId", String(goodsOwnerId))
      .addMetric(name, MetricUnit.Count, value);
  }
}
