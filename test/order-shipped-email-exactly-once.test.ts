/**
 * Use-case 1 end to end over loopback (stack in order-shipped-email.support.ts): exactly one mail per order, through
 * duplicates, late events, crashes and SES's uncertain answers.
 */

import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import {
  deliver,
  harness,
  mailsTo,
  ongoing,
  putOrder,
  sentEvent,
  shippedMailRecord,
  useOrderShippedEmailStack,
} from "./order-shipped-email.support.ts";

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
