/**
 * Use-case 1 end to end over loopback (stack in order-shipped-email.support.ts): exactly one mail per order, through
 * duplicates, late events, crashes and SES's uncertain answers.
 */

import { setTimeout as sleep } from "node:timers/promises";
import type { SQSBatchResponse } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { sesEvent } from "../local/ses-events.ts";
import {
  deliver,
  handler,
  harness,
  mailsTo,
  ongoing,
  putOrder,
  sentEvent,
  ses,
  sesProxy,
  shippedMailRecord,
  useOrderShippedEmailStack,
} from "./order-shipped-email.support.ts";
import { sesInternalFailure } from "./support/failing-ses-proxy.ts";

useOrderShippedEmailStack();

describe("exactly one mail per order", () => {
  it("sends one mail for duplicate deliveries and a second Sent event, arriving together", async () => {
    const { orderId, email } = putOrder(() => undefined);
    const event = sentEvent(orderId);
    await deliver(event, event, sentEvent(orderId), sentEvent(orderId));
    expect(await mailsTo(email)).toHaveLength(1);
    expect(await harness.deadLetters()).toEqual([]);
  });

  it("sends no second mail for events that arrive after the mail was sent", async () => {
    const { orderId, email } = putOrder(() => undefined);
    const event = sentEvent(orderId);
    await deliver(event);
    const before = harness.metricCount("MailsSkipped", { reason: "already-mailed" });
    ongoing.state.clearCalls();
    await deliver(event, sentEvent(orderId));
    expect(await mailsTo(email)).toHaveLength(1);
    // The repeat and the new event both meet the shipped-mail record, before Ongoing is asked.
    expect(harness.metricCount("MailsSkipped", { reason: "already-mailed" })).toBe(before + 2);
    expect(ongoing.state.callCounts().getOrder).toBeUndefined();
  });

  it("never resends after a crash that left the claim behind: dead-letters delivery-uncertain", async () => {
    const { orderId, email } = putOrder(() => undefined);
    const { store } = await shippedMailRecord(159, orderId);
    const crashedAt = Date.now() - 10 * 60_000;
    await store.start(`159#${orderId}`, "sending", {
      eventId: 1,
      claimedAt: crashedAt,
      deadline: crashedAt + 60_000,
    });

    await deliver(sentEvent(orderId));
    expect(await mailsTo(email)).toEqual([]);
    const letters = await harness.deadLetters();
    expect(letters.map((letter) => [letter.attributes.failureClass, letter.attributes.failureCode])).toEqual([
      ["permanent", "delivery-uncertain"],
    ]);
    expect(letters[0]?.attributes.failureReason).toContain(`shipped-mail#159#${orderId}`);
  });

  it("settles a delivery-uncertain mail by SES's Send event: the redriven webhook sends nothing and succeeds", async () => {
    const { orderId, email } = putOrder(() => undefined);
    const { store } = await shippedMailRecord(159, orderId);
    const crashedAt = Date.now() - 10 * 60_000;
    await store.start(`159#${orderId}`, "sending", {
      eventId: 1,
      claimedAt: crashedAt,
      deadline: crashedAt + 60_000,
    });
    const event = sentEvent(orderId);
    await deliver(event);
    expect((await harness.deadLetters()).map((letter) => letter.attributes.failureCode)).toEqual([
      "delivery-uncertain",
    ]);

    // SES had taken the mail before the crash: its Send event arrives through EventBridge.
    const { ShippedMailLedger } = await import("../functions/shared/shipped-mail-ledger.ts");
    const { recordMailEvent } = await import("../functions/mail-events/mail-events.ts");
    const settled = await recordMailEvent(
      new ShippedMailLedger(harness.tables.state),
      sesEvent({
        type: "Send",
        messageId: "ses-before-the-crash",
        tags: { useCase: "order-shipped-email", goodsOwnerId: "159", orderId: String(orderId) },
      }),
    );
    expect(settled).toEqual({ status: "recorded", settled: true });

    const skippedBefore = harness.metricCount("MailsSkipped", { reason: "already-mailed" });
    await deliver(event);
    expect(await harness.deadLetters()).toEqual([]);
    expect(await mailsTo(email)).toEqual([]);
    expect(harness.metricCount("MailsSkipped", { reason: "already-mailed" })).toBe(skippedBefore + 1);
  });

  it("keeps the claim after SES answers 500, sends no second mail, and dead-letters delivery-uncertain", async () => {
    const { orderId, email } = putOrder(() => undefined);
    const { store } = await shippedMailRecord(159, orderId);
    const key = `159#${orderId}`;
    const failedBefore = sesProxy.failed;
    const mailsBefore = (await ses.mails()).length;
    const uncertainBefore = harness.metricCount("MailsFailed", { reason: "delivery-uncertain" });
    // A 500 may follow an accepted mail, so the attempt must leave its claim standing.
    sesProxy.failNext(1, sesInternalFailure);
    let claimLeft: Awaited<ReturnType<typeof store.get>>;
    await harness.send(sentEvent(orderId), "order-shipped");
    await harness.run(async (event, context, callback) => {
      const answer = (await handler(event, context, callback)) as SQSBatchResponse;
      const record = await store.get(key);
      if (claimLeft === undefined && record?.step === "sending") {
        claimLeft = record;
        // On AWS the retries wait out the holder's deadline (minutes); move it into the past instead, as the
        // crash test's record has it, so the next delivery finds a claim whose holder is certainly gone.
        const crashedAt = Date.now() - 10 * 60_000;
        await store.advance(record, "sending", { claimedAt: crashedAt, deadline: crashedAt + 60_000 });
      }
      return answer;
    });

    expect(claimLeft).toMatchObject({ step: "sending", data: { attempts: 1 } });
    expect(claimLeft?.data).not.toHaveProperty("lastFailure");
    expect(sesProxy.failed - failedBefore).toBe(1);
    // SES was not called again: no mail at all went through the proxy.
    expect((await ses.mails()).length).toBe(mailsBefore);
    expect(await mailsTo(email)).toEqual([]);
    const letters = await harness.deadLetters();
    expect(letters.map((letter) => [letter.attributes.failureClass, letter.attributes.failureCode])).toEqual([
      ["permanent", "delivery-uncertain"],
    ]);
    expect(letters[0]?.attributes.failureReason).toContain(`shipped-mail#${key}`);
    expect(harness.metricCount("MailsFailed", { reason: "delivery-uncertain" }) - uncertainBefore).toBe(1);
    expect((await store.get(key))?.step).toBe("sending");
  });

  it("waits for a claim that may still be running, and never sends beside it", async () => {
    const { orderId, email } = putOrder(() => undefined);
    const { store } = await shippedMailRecord(159, orderId);
    const { workflow: holder } = await store.start(`159#${orderId}`, "sending", {
      eventId: 1,
      claimedAt: Date.now(),
      deadline: Date.now() + 1_000,
    });
    const before = harness.metricCount("MailsSkipped", { reason: "already-mailed" });
    // The holder records its mail while the new event waits for it.
    const holderFinishes = sleep(300).then(() => store.advance(holder, "sent", { sesMessageId: "earlier" }));

    await deliver(sentEvent(orderId));
    await holderFinishes;
    expect(await mailsTo(email)).toEqual([]);
    expect(await harness.deadLetters()).toEqual([]);
    expect(harness.metricCount("MailsSkipped", { reason: "already-mailed" })).toBe(before + 1);
  });
});
