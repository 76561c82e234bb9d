/** How the pipeline reads anything a record's processing threw: its failure class, code and reason. */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { Dependency } from "../contract/dependencies.ts";
import { PermanentError, TransientError } from "../errors.ts";
import { metrics } from "../powertools/metrics.ts";
export interface Failure {
  readonly permanent: boolean;
  readonly code: string;
  readonly reason: string;
  readonly retryAfterMs: number | undefined;
  /** The dependency that did not answer, when the failure is the dependency's rather than the message's. */
  readonly dependency?: Dependency | undefined;
}

/** Maps anything thrown to the pipeline's failure classes; unknown errors are transient (they may heal). */
export function classify(error: unknown): Failure {
  if (error instanceof PermanentError) {
    return { permanent: true, code: error.code, reason: error.message, retryAfterMs: undefined };
  }
  if (error instanceof TransientError) {
    return {
      permanent: false,
      code: error.code,
      reason: error.message,
      retryAfterMs: error.retryAfterMs,
      dependency: error.dependency,
    };
  }
  const name = error instanceof Error ? error.name : "unknown";
  if (name === "IdempotencyAlreadyInProgressError") {
    return {
      permanent: false,
      code: "in-progress",
      reason: "the same event is being processed by another attempt",
      retryAfterMs: undefined,
    };
  }
  if (name === "IdempotencyPersistenceLayerError") {
    return {
      permanent: false,
      code: "state-table-unavailable",
      reason: "the idempotency record could not be read or written",
      retryAfterMs: undefined,
    };
  }
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { permanent: false, code: "unexpected", reason, retryAfterMs: undefined };
}

export function countFailure(failureClass: "permanent" | "transient" | "exhausted" | "outage"): void {
  const single = metrics.singleMetric();
  single.addDimension("class", failureClass);
  single.addMetric("Failed", MetricUnit.Count, 1);
}
