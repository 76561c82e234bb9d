/**
 * Metrics whose dimension values vary from one data point to the next (an Ongoing call's operation and status
 * class, a goods owner's article counts), gathered over an invocation and written when it ends: one EMF line per
 * dimension set, its values in an array, where `singleMetric()` writes one line per data point. CloudWatch gets
 * the same names, dimensions and data points; the function writes (and CloudWatch Logs ingests) far fewer lines.
 * Powertools itself writes a set early once a metric holds 100 values.
 */
import { Metrics, type MetricUnit } from "@aws-lambda-powertools/metrics";
import { metricsNamespace } from "../contract/names.ts";

type Dimensions = Record<string, string>;
type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

export class DimensionedMetrics {
  readonly #sets = new Map<string, Metrics>();
  #service: string | undefined;

  /** The `service` dimension of every set (as the shared instance's default dimension). @default POWERTOOLS_SERVICE_NAME */
  setService(service: string): void {
    this.#service = service;
  }

  /** Adds a data point to the set of these dimensions (created on first use in the invocation). */
  add(dimensions: Dimensions, name: string, unit: Unit, value: number): void {
    const key = JSON.stringify(Object.entries(dimensions).sort(([a], [b]) => a.localeCompare(b)));
    let set = this.#sets.get(key);
    if (!set) {
      set = new Metrics({
        namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? metricsNamespace,
        serviceName: this.#service ?? process.env.POWERTOOLS_SERVICE_NAME ?? "ongoing-webhooks",
        defaultDimensions: dimensions,
      });
      this.#sets.set(key, set);
    }
    set.addMetric(name, unit, value);
  }

  /** Writes every set with data and forgets them all: call it once as each invocation ends. */
  publish(): void {
    for (const set of this.#sets.values()) if (set.hasStoredMetrics()) set.publishStoredMetrics();
    this.#sets.clear();
  }
}

/** The one instance, published by the consumer pipeline and the reconcile as each invocation ends. */
export const dimensionedMetrics = new DimensionedMetrics();
