import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DimensionedMetrics } from "./dimensioned-metrics.ts";

/** The EMF lines written to stdout meanwhile, parsed. */
function captureEmf() {
  const lines: Record<string, unknown>[] = [];
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: unknown) => {
    for (const line of String(chunk).split("\n").filter(Boolean)) {
      if (line.includes('"_aws"')) lines.push(JSON.parse(line) as Record<string, unknown>);
    }
    return true;
  });
  return { lines, restore: () => spy.mockRestore() };
}

describe("DimensionedMetrics", () => {
  let emf: ReturnType<typeof captureEmf>;
  beforeEach(() => {
    emf = captureEmf();
  });
  afterEach(() => emf.restore());

  it("writes nothing until published, then one line per dimension set with every data point", () => {
    const metrics = new DimensionedMetrics();
    metrics.setService("article-sync");
    const ok = { operation: "getArticle", statusClass: "2xx" };
    for (const latency of [51, 52, 53]) {
      metrics.add(ok, "OngoingApiCall", MetricUnit.Count, 1);
      metrics.add(ok, "OngoingApiLatency", MetricUnit.Milliseconds, latency);
    }
    // Same dimensions named in another order: the same set.
    metrics.add({ statusClass: "5xx", operation: "getArticle" }, "OngoingApiCall", MetricUnit.Count, 1);
    metrics.add({ operation: "getArticle", statusClass: "5xx" }, "OngoingApiCall", MetricUnit.Count, 1);
    expect(emf.lines).toEqual([]);

    metrics.publish();
    expect(emf.lines).toHaveLength(2);
    const [success, failure] = emf.lines;
    expect(success).toMatchObject({
      service: "article-sync",
      operation: "getArticle",
      statusClass: "2xx",
      OngoingApiCall: [1, 1, 1],
      OngoingApiLatency: [51, 52, 53],
    });
    expect(failure).toMatchObject({ statusClass: "5xx", OngoingApiCall: [1, 1] });
  });

  it("starts afresh after publishing, and publishes nothing when nothing was added", () => {
    const metrics = new DimensionedMetrics();
    metrics.add({ goodsOwnerId: "159" }, "ArticlesUpdated", MetricUnit.Count, 2);
    metrics.publish();
    metrics.publish();
    metrics.add({ goodsOwnerId: "159" }, "ArticlesUpdated", MetricUnit.Count, 1);
    metrics.publish();
    expect(emf.lines.map((line) => line.ArticlesUpdated)).toEqual([2, 1]);
  });
});
