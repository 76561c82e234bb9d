import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { describe, expect, it } from "vitest";
import { captureEmf } from "../../../test/support/emf.ts";
import { DimensionedMetrics } from "./dimensioned-metrics.ts";

describe("DimensionedMetrics", () => {
  it("writes nothing until published, then one line per dimension set with every data point", async () => {
    const metrics = new DimensionedMetrics();
    metrics.setService("article-sync");
    const ok = { operation: "getArticle", statusClass: "2xx" };
    const gathering = await captureEmf(() => {
      for (const latency of [51, 52, 53]) {
        metrics.add(ok, "OngoingApiCall", MetricUnit.Count, 1);
        metrics.add(ok, "OngoingApiLatency", MetricUnit.Milliseconds, latency);
      }
      // Same dimensions named in another order: the same set.
      metrics.add({ statusClass: "5xx", operation: "getArticle" }, "OngoingApiCall", MetricUnit.Count, 1);
      metrics.add({ operation: "getArticle", statusClass: "5xx" }, "OngoingApiCall", MetricUnit.Count, 1);
    });
    expect(gathering).toEqual([]);

    const published = await captureEmf(() => metrics.publish());
    expect(published).toHaveLength(2);
    const [success, failure] = published;
    expect(success).toMatchObject({
      service: "article-sync",
      operation: "getArticle",
      statusClass: "2xx",
      OngoingApiCall: [1, 1, 1],
      OngoingApiLatency: [51, 52, 53],
    });
    expect(failure).toMatchObject({ statusClass: "5xx", OngoingApiCall: [1, 1] });
  });

  it("starts afresh after publishing, and publishes nothing when nothing was added", async () => {
    const metrics = new DimensionedMetrics();
    const published = await captureEmf(() => {
      metrics.add({ goodsOwnerId: "159" }, "ArticlesUpdated", MetricUnit.Count, 2);
      metrics.publish();
      metrics.publish();
      metrics.add({ goodsOwnerId: "159" }, "ArticlesUpdated", MetricUnit.Count, 1);
      metrics.publish();
    });
    expect(published.map((blob) => blob.ArticlesUpdated)).toEqual([2, 1]);
  });
});
