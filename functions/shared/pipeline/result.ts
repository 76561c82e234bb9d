/** What the pipeline makes of a record's result: its metric and log line, and what it adds to the trail. */
import type { Logger } from "@aws-lambda-powertools/logger";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { metrics } from "../powertools/metrics.ts";
import type { TrailNote } from "../trail/writer.ts";
import type { Outcome } from "./types.ts";

/** What a record became, beyond the handler's own outcome. */
export type Result = Outcome | { readonly status: "duplicate"; readonly previous: Outcome };

export function reportResult(result: Result, log: Logger): void {
  switch (result.status) {
    case "done":
      metrics.addMetric("Processed", MetricUnit.Count, 1);
      log.debug("processed", { ...(result.detail ? { detail: result.detail } : {}) });
      return;
    case "skipped":
      metrics.addMetric("Skipped", MetricUnit.Count, 1);
      log.info("skipped", { reason: result.reason });
      return;
    case "duplicate":
      metrics.addMetric("Duplicate", MetricUnit.Count, 1);
      log.info("already processed; duplicate delivery acknowledged", {
        previousStatus: result.previous?.status,
      });
      return;
  }
}

/** What a record's result adds to its trail. */
export function trailNoteOf(result: Result): TrailNote {
  switch (result.status) {
    case "done":
      return { outcome: "done", effect: result.effect };
    case "skipped":
      return { outcome: "skipped", reason: result.reason };
    case "duplicate":
      return {
        outcome: "skipped",
        code: "duplicate",
        reason: `duplicate: already ${result.previous?.status ?? "processed"}`,
      };
  }
}
