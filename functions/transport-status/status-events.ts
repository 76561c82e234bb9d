/**
 * Report a transport system's status event about an order to Ongoing (`ReportOrderTransportStatusEvent`), once,
 * and never let an older event overwrite a newer one.
 *
 * One record per order in the state table (kind `transport-status`, key `goodsOwnerId#orderId`) keeps the latest
 * event claimed for the order: its time, its id and whether Ongoing has it. An event is claimed by a conditional
 * write that succeeds only when nothing later is claimed; then it is reported; then marked reported. A repeat of
 * a reported event is a counted skip; a repeat of a claimed one reports again (`CreateOrUpdate`: harmless).
 */

import { MetricUnit } from "@aws-lambda-powertools/metrics";
import {
  parseOngoingTimestamp,
  type TransportStatusEventWebhook,
} from "../shared/contract/webhook-schemas.ts";
import type { TransportStatusEvent } from "../shared/ongoing/automation-requests.ts";
import { serialized } from "../shared/ongoing/call.ts";
import type { HandlerContext, Outcome, WebhookRecord } from "../shared/pipeline/types.ts";
import { dimensionedMetrics } from "../shared/powertools/dimensioned-metrics.ts";
import { metrics } from "../shared/powertools/metrics.ts";
import { OrderStatusStore, statusRecordId } from "./status-record.ts";

export { type OrderStatusRecord, recordKind, statusRecordId } from "./status-record.ts";

export interface TransportStatusDependencies {
  readonly tableName: string;
  /** Reports one event to Ongoing for the goods owner; NotFoundError when Ongoing has no such order. */
  readonly report: (
    goodsOwnerId: number,
    event: TransportStatusEvent,
    remainingTimeMs: () => number,
  ) => Promise<void>;
  /** How long an order's record is kept after its last event. @default 90 days */
  readonly ttlSeconds?: number;
  readonly now?: () => number;
}

function skip(reason: "duplicate" | "superseded"): Outcome {
  dimensionedMetrics.add({ reason }, "TransportStatusSkipped", MetricUnit.Count, 1);
  return { status: "skipped", reason };
}

export function createTransportStatus(
  dependencies: TransportStatusDependencies,
): (record: WebhookRecord<TransportStatusEventWebhook>, context: HandlerContext) => Promise<Outcome> {
  const store = new OrderStatusStore(
    dependencies.tableName,
    dependencies.ttlSeconds ?? 90 * 24 * 3600,
    dependencies.now ?? Date.now,
  );
  // One order's events one at a time in this container, in the batch's order: an older event claimed first must
  // reach Ongoing before a newer one is even claimed, or its report could land after the newer one's.
  return (record, context) =>
    serialized(statusRecordId(record.payload.goodsOwnerId, record.payload.orderId), () =>
      handle(record, context),
    );

  async function handle(
    record: WebhookRecord<TransportStatusEventWebhook>,
    context: HandlerContext,
  ): Promise<Outcome> {
    const event = record.payload;
    const id = statusRecordId(event.goodsOwnerId, event.orderId);
    const eventAt = parseOngoingTimestamp(event.eventTime).getTime();
    const latest = await store.read(id);
    if (latest?.eventId === event.eventId && latest.reported) return skip("duplicate");
    if (latest && latest.eventId !== event.eventId) {
      const older =
        latest.eventAt > eventAt || (latest.eventAt === eventAt && latest.eventId > event.eventId);
      if (older) return skip("superseded");
      if (!(await store.claim(id, eventAt, event.eventId))) return skip("superseded");
    } else if (!latest && !(await store.claim(id, eventAt, event.eventId))) {
      return skip("superseded");
    }
    await dependencies.report(
      event.goodsOwnerId,
      {
        orderId: event.orderId,
        eventTime: new Date(eventAt),
        eventType: event.eventType,
        transportStatus: event.transportStatus,
        comment: event.comment,
      },
      context.remainingTimeMs,
    );
    await store.markReported(id, event.eventId);
    metrics.addMetric("TransportStatusReported", MetricUnit.Count, 1);
    return {
      status: "done",
      detail: { transportStatus: event.transportStatus },
      effect: { transportStatus: event.transportStatus },
    };
  }
}
