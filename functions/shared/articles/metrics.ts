/** The article mirror's own metrics, per goods owner (dimension `goodsOwnerId`), gathered per invocation. */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { dimensionedMetrics } from "../powertools/dimensioned-metrics.ts";
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
    if (value) dimensionedMetrics.add({ goodsOwnerId: String(goodsOwnerId) }, name, MetricUnit.Count, value);
  }
}
