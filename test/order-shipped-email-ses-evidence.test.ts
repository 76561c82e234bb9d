/**
 * SES outages that show as time-outs or 500s (#15): a mail whose SES outcome is unknown waits for SES's own
 * evidence instead of being dead-lettered for a person. Over the wire: fauxqs, dynalite, the Ongoing simulator,
 * and aws-ses-v2-local behind two proxies, one that fails or loses SES's answers and the local stand-in that
 * publishes SES's Send/Delivery events for every accepted mail, recorded by the real mail-events code (late, as
 * EventBridge may deliver them). Compressed time: the function has 4 s, the grace period is 8 s.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Handler, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, type StoredMail, startSes } from "../local/emulators.ts";
import { type SesEventEnvelope, type SesEventsProxy, startSesEventsProxy } from "../local/ses-events.ts";
import { type OngoingSimulator, startOngoingSimulator } from "../simulators/ongoing/server.ts";
import { loginSecret } from "./support/env.ts";
import {
  type FailingSesProxy,
  sesInternalFailure,
  startFailingSesProxy,
} from "./support/failing-ses-proxy.ts";
import { type Harness, startHarness } from "./support/harness.ts";
import { putShippedOrder } from "./support/shipped-order.ts";

const functionTimeoutMs = 4_000;
const graceSeconds = 8;

let ongoing: OngoingSimulator;
let ses: Emulator & { mails(): Promise<StoredMail[]> };
let sesEvents: SesEventsProxy;
let sesProxy: FailingSesProxy;
let harness: Harness;
let handler: Handler<SQSEvent, SQSBatchResponse>;
/** How late SES's events reach the state table (EventBridge → mail-events). */
let eventDelayMs = 0;
const eventsRecorded: Array<Promise<unknown>> = [];

beforeAll(async () => {
  ongoing = await startOngoingSimulator();
  ses = await startSes();
  harness = await startHarness({
    useCase: "order-shipped-email",
    maxReceiveCount: 4,
    secrets: { "ongoing/demo": loginSecret("demo") },
    env: {
      ONGOING_BASE_URL: ongoing.baseUrl,
      ONGOING_CREDENTIALS_SECRET: "ongoing/demo",
      EMAIL_DEFAULT: JSON.stringify({ fromAddress: "noreply@3pl.example" }),
      SES_CONFIGURATION_SET: "shipped-mails",
      SES_EVIDENCE_GRACE_SECONDS: String(graceSeconds),
    },
  });
  const { ShippedMailLedger } = await import("../functions/shared/shipped-mail-ledger.ts");
  const { recordMailEvent } = await import("../functions/mail-events/mail-events.ts");
  const ledger = new ShippedMailLedger(harness.tables.state);
  sesEvents = await startSesEventsProxy({
    target: ses.endpoint,
    emit: (event: SesEventEnvelope) => {
      const recorded = sleep(eventDelayMs).then(() => recordMailEvent(ledger, event));
      eventsRecorded.push(recorded);
      return recorded.then(() => undefined);
    },
  });
  sesProxy = await startFailingSesProxy(sesEvents.endpoint);
  process.env.AWS_ENDPOINT_URL_SES = sesProxy.endpoint;
  ({ handler } = await import("../functions/order-shipped-email/index.ts"));
});

afterAll(async () => {
  await Promise.allSettled(eventsRecorded);
  await harness?.stop();
  await sesProxy?.stop();
  await sesEvents?.stop();
  await ses?.stop();
  await ongoing?.stop();
});

let nextOrderId = 72_000;

function shippedOrder(): { orderId: number; email: string } {
  const orderId = nextOrderId++;
  const email = `customer-${orderId}@example.com`;
  putShippedOrder(ongoing, {
    goodsOwnerId: 159,
    orderId,
    orderNumber: `O-${orderId}`,
    orderInfo: { emailNotification: { toBeNotified: true, value: email } },
  });
  return { orderId, email };
}

const sentEvent = (orderId: number) => ({
  webhookOrdersId: 1,
  webhookEventId: orderId,
  system: "demo",
  timestamp: "2024-05-01T12:00:00.0000000",
  orderId,
  orderNumber: `O-${orderId}`,
  goodsOwnerId: 159,
  goodsOwnerOrderId: null,
  path: `/api/v1/orders/${orderId}`,
  orderStatus: { number: 450 },
  webhookTemplate: "OrderStatusChanged",
});

async function mailsTo(address: string): Promise<StoredMail[]> {
  return (await ses.mails()).filter((mail) => mail.destination.to.includes(address));
}

async function shippedMail(orderId: number) {
  const { ShippedMailLedger } = await import("../functions/shared/shipped-mail-ledger.ts");
  return new ShippedMailLedger(harness.tables.state).get(`159#${orderId}`);
}

describe("a mail whose SES outcome is unknown", () => {
  it("SES answers 500 and no SES event comes: waits out the grace period, then sends it exactly once", async () => {
    const { orderId, email } = shippedOrder();
    const waitedBefore = harness.metricCount("Deferred", { dependency: "ses" });
    const releasedBefore = harness.metricCount("MailsReleasedWithoutSesEvidence");
    sesProxy.failNext(1, sesInternalFailure);
    const started = Date.now();
    await harness.send(sentEvent(orderId), "order-shipped");
    await harness.run(handler, { functionTimeoutMs });

    const [mail, ...more] = await mailsTo(email);
    expect(mail).toBeDefined();
    expect(more).toEqual([]);
    expect(await harness.deadLetters()).toEqual([]);
    const record = await shippedMail(orderId);
    expect(record).toMatchObject({
      step: "sent",
      data: { attempts: 2, sesMessageId: mail?.messageId, lastFailure: "no-ses-evidence" },
    });
    // Not before the holder was certainly gone (its deadline + 5 s of clock skew) and the grace period had passed.
    expect((record?.data.sentAt ?? 0) - started).toBeGreaterThanOrEqual(5_000 + graceSeconds * 1000);
    expect(harness.metricCount("MailsReleasedWithoutSesEvidence") - releasedBefore).toBe(1);
    // It waited without spending its receives (4 allowed).
    expect(harness.metricCount("Deferred", { dependency: "ses" }) - waitedBefore).toBeGreaterThan(1);
  }, 90_000);

  it("a claim left by a crash longer ago than the grace period is released at once and sent once", async () => {
    const { orderId, email } = shippedOrder();
    const { WorkflowStore } = await import("../functions/shared/state/workflow.ts");
    const crashedAt = Date.now() - 10 * 60_000;
    await new WorkflowStore({
      tableName: harness.tables.state,
      kind: "shipped-mail",
      ttlSeconds: 3600,
    }).start(`159#${orderId}`, "sending", {
      eventId: 1,
      claimedAt: crashedAt,
      deadline: crashedAt + 60_000,
      attempts: 1,
    });
    await harness.send(sentEvent(orderId), "order-shipped");
    await harness.run(handler, { functionTimeoutMs });
    expect(await mailsTo(email)).toHaveLength(1);
    expect(await harness.deadLetters()).toEqual([]);
    expect(await shippedMail(orderId)).toMatchObject({ step: "sent", data: { attempts: 2 } });
  });

  it("SES accepted but the answer timed out: SES's late Send event settles it, and no second mail goes out", async () => {
    const { orderId, email } = shippedOrder();
    const skippedBefore = harness.metricCount("MailsSkipped", { reason: "already-mailed" });
    const releasedBefore = harness.metricCount("MailsReleasedWithoutSesEvidence");
    const waitedBefore = harness.metricCount("Deferred", { dependency: "ses" });
    sesProxy.loseNextAnswers(1);
    // After the holder is certainly gone (4 s + 5 s), before the grace period ends (+8 s).
    eventDelayMs = 11_000;
    try {
      await harness.send(sentEvent(orderId), "order-shipped");
      await harness.run(handler, { functionTimeoutMs });
    } finally {
      eventDelayMs = 0;
    }

    expect(await mailsTo(email)).toHaveLength(1);
    expect(await harness.deadLetters()).toEqual([]);
    expect(await shippedMail(orderId)).toMatchObject({
      step: "sent",
      data: { attempts: 1, settledBy: "ses-event" },
    });
    expect(harness.metricCount("MailsSkipped", { reason: "already-mailed" }) - skippedBefore).toBe(1);
    expect(harness.metricCount("MailsReleasedWithoutSesEvidence") - releasedBefore).toBe(0);
    expect(harness.metricCount("Deferred", { dependency: "ses" }) - waitedBefore).toBeGreaterThan(1);
  }, 90_000);
});
