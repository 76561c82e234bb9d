/** What order-shipped-email counts, and when an order is no longer one to mail. */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { PermanentError } from "../shared/errors.ts";
import { type OngoingOrder, orderStatusNumbers } from "../shared/ongoing/model.ts";
import type { HandlerContext, Outcome, WebhookRecord } from "../shared/pipeline/types.ts";
import { dimensionedMetrics } from "../shared/powertools/dimensioned-metrics.ts";
import { metrics } from "../shared/powertools/metrics.ts";

export function count(metric: "MailsSent" | "MailsSkipped" | "MailsFailed", reason?: string): void {
  if (!reason) {
    metrics.addMetric(metric, MetricUnit.Count, 1);
    return;
  }
  dimensionedMetrics.add({ reason }, metric, MetricUnit.Count, 1);
}

export function skipped(reason: string): Outcome {
  count("MailsSkipped", reason);
  return { status: "skipped", reason };
}

/** Whether the order, as it is now, should get a shipped-mail; undefined when it should. */
export function notShippableReason(order: OngoingOrder): string | undefined {
  const status = order.orderInfo.orderStatus?.number;
  if (status === orderStatusNumbers.cancelled) return "cancelled";
  // Below Sent the goods have not left (the status went back); above Cancelled are instance-specific codes.
  if (status === undefined || status < orderStatusNumbers.sent || status > orderStatusNumbers.cancelled)
    return "not-shipped";
  return undefined;
}

/** Counts every permanent failure of a mail by its reason, then lets the pipeline dead-letter it. */
export function countingFailures<P>(
  handle: (record: WebhookRecord<P>, context: HandlerContext) => Promise<Outcome>,
): (record: WebhookRecord<P>, context: HandlerContext) => Promise<Outcome> {
  return async (record, context) => {
    try {
      return await handle(record, context);
    } catch (error) {
      if (error instanceof PermanentError) count("MailsFailed", error.code);
      throw error;
    }
  };
}
