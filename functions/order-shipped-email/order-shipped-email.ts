/**
 * Use-case 1: when Ongoing says an order was sent, e-mail its customer once. The story: look up whether this
 * order was mailed already → fetch the order → decide (still shipped? whom to mail?) → wait for a send slot
 * within SES's rate → claim the mail → send through SES → record it sent.
 */

import { useCaseDependencies } from "../shared/contract/dependencies.ts";
import { orderShippedEmailSettingsSchema } from "../shared/contract/settings.ts";
import { type OrderWebhook, orderWebhookSchema } from "../shared/contract/webhook-schemas.ts";
import { PermanentError, TransientError } from "../shared/errors.ts";
import { settingsOf } from "../shared/function-settings.ts";
import { brandingFor } from "../shared/goods-owners.ts";
import { ongoingClientFor } from "../shared/ongoing/client.ts";
import type { HandlerContext, Outcome, UseCaseDefinition, WebhookRecord } from "../shared/pipeline/types.ts";
import { recordLogger } from "../shared/powertools/record-logger.ts";
import {
  claimOutcome,
  decideClaim,
  ShippedMailLedger,
  shippedMailKey,
} from "../shared/shipped-mail-ledger.ts";
import { trailTag } from "../shared/trail/model.ts";
import { languageFor } from "./branding.ts";
import { mailView, renderShippedMail } from "./mail-content.ts";
import { count, countingFailures, notShippableReason, skipped } from "./mail-outcomes.ts";
import { recipientOf } from "./recipient.ts";
import { awaitSendSlot, pacerOf, sesTimeoutMs } from "./send-pacing.ts";
import { awaitSesEvidence } from "./ses-evidence.ts";
import { sendFailure, sendMail } from "./ses-mail.ts";

async function handle(record: WebhookRecord<OrderWebhook>, context: HandlerContext): Promise<Outcome> {
  // Read on first use, so a bad setting fails the first record loudly.
  const settings = settingsOf(orderShippedEmailSettingsSchema);
  const ledger = new ShippedMailLedger(settings.STATE_TABLE_NAME);
  const { goodsOwnerId, orderId, webhookEventId } = record.payload;
  const key = shippedMailKey(goodsOwnerId, orderId);
  const pacer = pacerOf(context.batchCache, settings.SES_SEND_RATE_PER_INVOCATION);

  // A claim whose outcome is unknown waits for SES's event, then is released (ses-evidence.ts).
  const existing = await awaitSesEvidence(ledger, await ledger.get(key), {
    graceMs: settings.SES_EVIDENCE_GRACE_SECONDS * 1000,
    logger: recordLogger(context),
  });
  if (claimOutcome(decideClaim(existing, Date.now()), key, existing) === "already-mailed") {
    return skipped("already-mailed");
  }

  // A goods owner without a sender fails before Ongoing is asked anything.
  const branding = brandingFor(goodsOwnerId, settings);
  const client = ongoingClientFor(goodsOwnerId, { remainingTimeMs: context.remainingTimeMs });
  const order = await client.getOrder(orderId);
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
    if (claimOutcome(claim.decision, key, claim.existing) === "already-mailed")
      return skipped("already-mailed");
    throw new TransientError("mail-claim-moved", `the shipped-mail record of ${key} moved; decide again`);
  }

  const envelope = {
    to: recipient.address,
    from: branding.fromAddress,
    replyTo: branding.replyTo,
    configurationSet: settings.SES_CONFIGURATION_SET,
    tags: {
      useCase: "order-shipped-email",
      goodsOwnerId: String(goodsOwnerId),
      orderId: String(orderId),
      ...trailTag(record.apiRequestId),
    },
  };
  const timeout = AbortSignal.timeout(sesTimeoutMs(context.remainingTimeMs()));
  const sesMessageId = await sendMail(envelope, mail, { abortSignal: timeout }).catch(
    async (error: unknown) => {
      const { failure, code, notTaken } = sendFailure(error, `the shipped-mail of ${key}`);
      if (notTaken) await ledger.release(claim.claimed, code);
      throw failure;
    },
  );

  await ledger.recordSent(claim.claimed, sesMessageId);
  count("MailsSent");
  recordLogger(context).info("shipped-mail sent", { sesMessageId, language });
  return { status: "done", detail: { sesMessageId, language }, effect: { sesMessageId } };
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
  handle: countingFailures(handle),
};
