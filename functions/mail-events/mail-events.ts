/**
 * SES's sending events for shipped-mails, as EventBridge delivers them from the configuration set: each is kept
 * on the mail's record in the state table (found by the goods-owner and order tags the mail carries), and an
 * event that shows SES accepted the mail settles a record whose outcome was never recorded (`delivery-uncertain`).
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import * as z from "zod";
import type { SesEventType } from "../shared/contract/ses-events.ts";
import { dimensionedMetrics } from "../shared/powertools/dimensioned-metrics.ts";
import { logger } from "../shared/powertools/logger.ts";
import { type SesEvidence, type ShippedMailLedger, shippedMailKey } from "../shared/shipped-mail-ledger.ts";
import type { TrailEffects } from "../shared/trail/effects.ts";
import { type SesEvent, sesEventSchema } from "./ses-event.ts";

/** Every event type but Reject means SES accepted the mail and tried to deliver it. */
const showsSent = (type: SesEventType) => type !== "Reject";

function evidenceOf({ detail }: SesEvent): SesEvidence {
  const at =
    detail.delivery?.timestamp ??
    detail.bounce?.timestamp ??
    detail.complaint?.timestamp ??
    detail.mail.timestamp;
  const optional = {
    bounceType: detail.bounce?.bounceType,
    bounceSubType: detail.bounce?.bounceSubType,
    complaintFeedbackType: detail.complaint?.complaintFeedbackType,
    rejectReason: detail.reject?.reason,
  };
  return {
    messageId: detail.mail.messageId,
    at,
    ...Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)),
  };
}

/** An SES event on the trail: when, and for a bounce, complaint or reject, its kind (never an address). */
function trailValueOf(event: SesEvent): string {
  const { at, bounceType, bounceSubType, complaintFeedbackType, rejectReason } = evidenceOf(event);
  const kind = bounceType ? `${bounceType}/${bounceSubType ?? ""}` : (complaintFeedbackType ?? rejectReason);
  return kind ? `${at} ${kind}` : at;
}

export type MailEventResult =
  | { readonly status: "recorded"; readonly settled: boolean }
  | { readonly status: "no-record" };

/**
 * Records one SES event. A malformed event throws (EventBridge and Lambda retry it, then it is dead-lettered);
 * so does a failed write, which heals on retry.
 */
export async function recordMailEvent(
  ledger: ShippedMailLedger,
  event: unknown,
  trail?: TrailEffects,
): Promise<MailEventResult> {
  const parsed = sesEventSchema.safeParse(event);
  if (!parsed.success)
    throw new Error(`Not an SES event of a shipped-mail: ${z.prettifyError(parsed.error)}`);
  const { detail } = parsed.data;
  const type = detail.eventType;
  const key = shippedMailKey(detail.mail.tags.goodsOwnerId, detail.mail.tags.orderId);
  const ids = { key, sesMessageId: detail.mail.messageId, sesEvent: type };
  const trailEventId = detail.mail.tags.trailEventId?.[0];
  if (trail && trailEventId) await trail.add(trailEventId, { [`ses${type}`]: trailValueOf(parsed.data) });

  if (!(await ledger.recordSesEvent(key, type, evidenceOf(parsed.data)))) {
    // The record has expired (90 days), or the mail is not this stack's: nothing to keep it on.
    logger.warn("SES event for a shipped-mail without a record", ids);
    dimensionedMetrics.add({ event: type }, "MailEventsUnmatched", MetricUnit.Count, 1);
    return { status: "no-record" };
  }
  dimensionedMetrics.add({ event: type }, "MailEventsRecorded", MetricUnit.Count, 1);
  if (!showsSent(type)) return { status: "recorded", settled: false };
  const settled = await ledger.settleSent(key, detail.mail.messageId, Date.parse(detail.mail.timestamp));
  if (settled === "settled") {
    logger.info("shipped-mail settled as sent by SES's event", ids);
    dimensionedMetrics.add({ event: type }, "MailsSettledBySes", MetricUnit.Count, 1);
  }
  return { status: "recorded", settled: settled === "settled" };
}
