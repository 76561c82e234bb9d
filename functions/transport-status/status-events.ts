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
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { documentClient } from "../shared/aws/dynamodb.ts";
import {
  parseOngoingTimestamp,
  type TransportStatusEventWebhook,
} from "../shared/contract/webhook-schemas.ts";
import type { TransportStatusEvent } from "../shared/ongoing/automation-requests.ts";
import type { HandlerContext, Outcome, WebhookRecord } from "../shared/pipeline/types.ts";
import { dimensionedMetrics } from "../shared/powertools/dimensioned-metrics.ts";
import { metrics } from "../shared/powertools/metrics.ts";

export const recordKind = "transport-status";

/** The latest event claimed for an order, as the state table keeps it. */
export interface OrderStatusRecord {
  /** Epoch ms of the latest claimed event's `eventTime`. */
  readonly eventAt: number;
  readonly eventId: string;
  readonly reported: boolean;
}

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

export const statusRecordId = (goodsOwnerId: number, orderId: number): string =>
  `${recordKind}#${goodsOwnerId}#${orderId}`;

function skip(reason: "duplicate" | "superseded"): Outcome {
  dimensionedMetrics.add({ reason }, "TransportStatusSkipped", MetricUnit.Count, 1);
  return { status: "skipped", reason };
}

export function createTransportStatus(
  dependencies: TransportStatusDependencies,
): (record: WebhookRecord<TransportStatusEventWebhook>, context: HandlerContext) => Promise<Outcome> {
  const now = dependencies.now ?? Date.now;
  const ttlSeconds = dependencies.ttlSeconds ?? 90 * 24 * 3600;
  const { tableName } = dependencies;

  async function read(id: string): Promise<OrderStatusRecord | undefined> {
    const { Item } = await documentClient.send(
      new GetCommand({ TableName: tableName, Key: { id }, ConsistentRead: true }),
    );
    return Item as OrderStatusRecord | undefined;
  }

  /** Claims the order for this event unless a later one (by time, then id) is claimed; false when one is. */
  async function claim(id: string, eventAt: number, eventId: string): Promise<boolean> {
    try {
      await documentClient.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { id },
          UpdateExpression:
            "SET eventAt = :at, eventId = :eventId, reported = :false, updatedAt = :now, expiration = :expiration",
          // The same event claimed twice at once is reported twice: harmless, Ongoing's CreateOrUpdate.
          ConditionExpression:
            "attribute_not_exists(id) OR eventAt < :at OR (eventAt = :at AND eventId <= :eventId)",
          ExpressionAttributeValues: {
            ":at": eventAt,
            ":eventId": eventId,
            ":false": false,
            ":now": now(),
            ":expiration": Math.floor(now() / 1000) + ttlSeconds,
          },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
    return true;
  }

  /** Only for the event claimed: a newer one claimed meanwhile keeps its own flag. */
  async function markReported(id: string, eventId: string, reported: boolean): Promise<void> {
    try {
      await documentClient.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { id },
          UpdateExpression: "SET reported = :reported, updatedAt = :now",
          ConditionExpression: "eventId = :eventId",
          ExpressionAttributeValues: { ":reported": reported, ":eventId": eventId, ":now": now() },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  return async function handle(record, context) {
    const event = record.payload;
    const id = statusRecordId(event.goodsOwnerId, event.orderId);
    const eventAt = parseOngoingTimestamp(event.eventTime).getTime();
    const latest = await read(id);
    if (latest?.eventId === event.eventId && latest.reported) return skip("duplicate");
    if (latest && latest.eventId !== event.eventId) {
      const older =
        latest.eventAt > eventAt || (latest.eventAt === eventAt && latest.eventId > event.eventId);
      if (older) return skip("superseded");
      if (!(await claim(id, eventAt, event.eventId))) return skip("superseded");
    } else if (!latest && !(await claim(id, eventAt, event.eventId))) {
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
    await markReported(id, event.eventId, true);
    metrics.addMetric("TransportStatusReported", MetricUnit.Count, 1);
    return {
      status: "done",
      detail: { transportStatus: event.transportStatus },
      effect: { transportStatus: event.transportStatus },
    };
  };
}
