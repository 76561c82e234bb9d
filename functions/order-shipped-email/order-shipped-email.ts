/**
 * Use-case 1: when Ongoing says an order was sent, e-mail its customer once. The story: look up whether this
 * order was mailed already → fetch the order → decide (still shipped? whom to mail?) → wait for a send slot
 * within SES's rate → claim the mail → send through SES → record it sent.
 */

import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { z } from "zod";
import { dependencyAnswered } from "../shared/breaker/answers.ts";
import { useCaseDependencies } from "../shared/breaker/dependencies.ts";
import { PermanentError, TransientError } from "../shared/errors.ts";
import { brandingFor } from "../shared/goods-owners.ts";
import { ongoingClientFor } from "../shared/ongoing/client.ts";
import { type OngoingOrder, orderStatusNumbers } from "../shared/ongoing/model.ts";
import type { HandlerContext, Outcome, UseCaseDefinition, WebhookRecord } from "../shared/pipeline/types.ts";
import { dimensionedMetrics } from "../shared/powertools/dimensioned-metrics.ts";
import { logger } from "../shared/powertools/logger.ts";
import { metrics } from "../shared/powertools/metrics.ts";
import { orderShippedEmailSettingsSchema, readSettings } from "../shared/settings.ts";
import { type OrderWebhook, orderWebhookSchema } from "../shared/webhooks/schemas.ts";
import { languageFor } from "./branding.ts";
import { mailView, renderShippedMail } from "./mail-content.ts";
import { recipientOf } from "./recipient.ts";
import { awaitSendSlot, pacerOf, recordingReserveMs, sesMaxWaitMs } from "./send-pacing.ts";
import { awaitSesEvidence } from "./ses-evidence.ts";
import { classifySesError, sendMail } from "./ses-mail.ts";
import {
  type ClaimDecision,
  decideClaim,
  type ShippedMail,
  ShippedMailLedger,
  shippedMailKey,
} from "./shipped-mail-ledger.ts";

function sesTimeoutMs(remainingTimeMs: number): number {
  return Math.min(Math.max(remainingTimeMs - recordingReserveMs, 1_000), sesMaxWaitMs);
}

type Settings = z.output<typeof orderShippedEmailSettingsSchema>;

// Read once per container, on first use, so a bad setting fails the first record loudly.
let configured: { settings: Settings; ledger: ShippedMailLedger } | undefined;

function configuration(): { settings: Settings; ledger: ShippedMailLedger } {
  if (!configured) {
    const settings = readSettings(orderShippedEmailSettingsSchema);
    configured = { settings, ledger: new ShippedMailLedger(settings.STATE_TABLE_NAME) };
  }
  return configured;
}

function count(metric: "MailsSent" | "MailsSkipped" | "MailsFailed", reason?: string): void {
  if (!reason) {
    metrics.addMetric(metric, MetricUnit.Count, 1);
    return;
  }
  dimensionedMetrics.add({ reason }, metric, MetricUnit.Count, 1);
}

function skipped(reason: string): Outcome {
  count("MailsSkipped", reason);
  return { status: "skipped", reason };
}

/** Whether the order, as it is now, should get a shipped-mail; undefined when it should. */
function notShippableReason(order: OngoingOrder): string | undefined {
  const status = order.orderInfo.orderStatus?.number;
  if (status === orderStatusNumbers.cancelled) return "cancelled";
  // Below Sent the goods have not left (the status went back); above Cancelled are instance-specific codes.
  if (status === undefined || status < orderStatusNumbers.sent || status > orderStatusNumbers.cancelled)
    return "not-shipped";
  return undefined;
}

/** What an existing shipped-mail record means for this attempt: go on and claim, skip, or fail. */
function unlessClaimable(
  decision: ClaimDecision,
  key: string,
  existing: ShippedMail | undefined,
): Outcome | undefined {
  switch (decision.action) {
    case "claim":
      return undefined;
    case "already-mailed":
      return skipped("already-mailed");
    case "in-progress":
      // The holder may still be running: come back when it has recorded the outcome or is certainly gone.
      throw new TransientError("mail-in-progress", `another attempt is sending the shipped-mail of ${key}`, {
        retryAfterMs: decision.retryAfterMs,
      });
    case "uncertain": {
      const claimedAt = existing?.data.claimedAt
        ? new Date(existing.data.claimedAt).toISOString()
        : "unknown";
      throw new PermanentError(
        "delivery-uncertain",
        `an attempt claimed the shipped-mail of ${key} at ${claimedAt} and stopped before recording whether SES ` +
          "accepted it; it is not resent automatically. SES's Send event settles it as sent by itself; if the state " +
          `item shipped-mail#${key} has no sesSend after some minutes, SES did not send it: set its step to ` +
          '"retryable" (or delete it) and redrive to send it',
      );
    }
  }
}

async function handle(record: WebhookRecord<OrderWebhook>, context: HandlerContext): Promise<Outcome> {
  const { settings, ledger } = configuration();
  const { goodsOwnerId, orderId, webhookEventId } = record.payload;
  const key = shippedMailKey(goodsOwnerId, orderId);
  const pacer = pacerOf(context.batchCache, settings.SES_SEND_RATE_PER_INVOCATION);

  // A claim whose outcome is unknown waits for SES's event, then is released (ses-evidence.ts).
  const existing = await awaitSesEvidence(ledger, await ledger.get(key), {
    graceMs: settings.SES_EVIDENCE_GRACE_SECONDS * 1000,
    logger: context.logger ?? logger,
  });
  const earlier = unlessClaimable(decideClaim(existing, Date.now()), key, existing);
  if (earlier) return earlier;

  // A goods owner without a sender fails before Ongoing is asked anything.
  const branding = brandingFor(goodsOwnerId, settings);
  const order = await ongoingClientFor(goodsOwnerId, { remainingTimeMs: context.remainingTimeMs }).getOrder(
    orderId,
  );
  if (order.goodsOwner.id !== goodsOwnerId) {
    throw new PermanentError("goods-owner-mismatch", `order ${orderId} belongs to another goods owner`);
  }
  const notShippable = notShippableReason(order);
  if (notShippable) return skipped(notShippable);
  const recipient = recipientOf(order);
  if (recipient.status === "none") return skipped(recipient.reason);

  const language = languageFor(branding, order.consignee?.countryCode);
  const mail = renderShippedMail(mailView(order, { language, brandName: branding.brandName }));

  await awaitSendSlot(pacer, context.remainingTimeMs());
  const claim = await ledger.claim(key, existing, {
    eventId: webhookEventId,
    remainingTimeMs: context.remainingTimeMs(),
  });
  if ("decision" in claim) {
    // Another worker created the record between our read and our claim.
    const outcome = unlessClaimable(claim.decision, key, claim.existing);
    if (outcome) return outcome;
    throw new TransientError("mail-claim-moved", `the shipped-mail record of ${key} moved; decide again`);
  }

  let sesMessageId: string;
  try {
    sesMessageId = await sendMail(
      {
        to: recipient.address,
        from: branding.fromAddress,
        replyTo: branding.replyTo,
        configurationSet: settings.SES_CONFIGURATION_SET,
        tags: {
          useCase: "order-shipped-email",
          goodsOwnerId: String(goodsOwnerId),
          orderId: String(orderId),
        },
      },
      mail,
      { abortSignal: AbortSignal.timeout(sesTimeoutMs(context.remainingTimeMs())) },
    );
    dependencyAnswered("ses");
  } catch (error) {
    const failure = classifySesError(error);
    if (failure.kind === "rejected") dependencyAnswered("ses");
    // Only a mail SES certainly did not take is released; otherwise the claim stays and is never resent blindly.
    if (failure.kind !== "outcome-unknown") await ledger.release(claim.claimed, failure.code);
    if (failure.kind === "rejected") {
      throw new PermanentError("mail-rejected", `SES rejected the shipped-mail of ${key}: ${failure.code}`, {
        cause: error,
      });
    }
    const what = failure.kind === "outcome-unknown" ? "may or may not have accepted" : "did not accept";
    throw new TransientError(
      `ses-${failure.kind}`,
      `SES ${what} the shipped-mail of ${key}: ${failure.code}`,
      // Throttled (rate or daily quota), unavailable or unreachable: SES's state, not this mail's.
      { cause: error, dependency: "ses" },
    );
  }

  try {
    await ledger.markSent(claim.claimed, sesMessageId);
  } catch (error) {
    throw new PermanentError(
      "delivery-unrecorded",
      `SES accepted the shipped-mail of ${key} (MessageId ${sesMessageId}) but recording it failed; it is not resent`,
      { cause: error },
    );
  }
  count("MailsSent");
  (context.logger ?? logger).info("shipped-mail sent", { sesMessageId, language });
  return { status: "done", detail: { sesMessageId, language } };
}

/** Counts every permanent failure of a mail by its reason, then lets the pipeline dead-letter it. */
async function handleCounted(record: WebhookRecord<OrderWebhook>, context: HandlerContext): Promise<Outcome> {
  try {
    return await handle(record, context);
  } catch (error) {
    if (error instanceof PermanentError) count("MailsFailed", error.code);
    throw error;
  }
}

export const orderShippedEmail: UseCaseDefinition<typeof orderWebhookSchema> = {
  useCase: "order-shipped-email",
  schema: orderWebhookSchema,
  dependencies: useCaseDependencies["order-shipped-email"],
  // The shipped-mail record, read first and claimed before sending, already makes a repeat send nothing.
  idempotency: false,
  correlationIds: (payload) => ({
    goodsOwnerId: payload.goodsOwnerId,
    orderId: payload.orderId,
    webhookEventId: payload.webhookEventId,
  }),
  handle: handleCounted,
};
