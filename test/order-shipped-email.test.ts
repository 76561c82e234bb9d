/**
 * Use-case 1 end to end over loopback: SQS (fauxqs) → the real consumer → the Ongoing simulator → SES
 * (aws-ses-v2-local, behind a proxy that can answer with SES errors) and the state table (dynalite).
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Handler, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Json, officialExample } from "../simulators/ongoing/seed.ts";
import { type OngoingSimulator, startOngoingSimulator } from "../simulators/ongoing/server.ts";
import {
  type FailingSesProxy,
  sesMessageRejected,
  sesServiceUnavailable,
  sesThrottling,
  startFailingSesProxy,
} from "./order-shipped-email.support.ts";
import { type Emulator, type StoredMail, startSes } from "./support/emulators.ts";
import { loginSecret } from "./support/env.ts";
import type { Harness } from "./support/harness.ts";
import { startHarness } from "./support/harness.ts";

let ongoing: OngoingSimulator;
let ses: Emulator & { mails(): Promise<StoredMail[]> };
let sesProxy: FailingSesProxy;
let harness: Harness;
let handler: Handler<SQSEvent, SQSBatchResponse>;

beforeAll(async () => {
  ongoing = await startOngoingSimulator();
  ses = await startSes();
  sesProxy = await startFailingSesProxy(ses.endpoint);
  harness = await startHarness({
    useCase: "order-shipped-email",
    maxReceiveCount: 3,
    secrets: {
      "ongoing/demo": loginSecret("demo"),
      "ongoing/other": loginSecret("other"),
    },
    env: {
      AWS_ENDPOINT_URL_SES: sesProxy.endpoint,
      ONGOING_BASE_URL: ongoing.baseUrl,
      ONGOING_CREDENTIALS_SECRET: "ongoing/demo",
      ONGOING_MAX_ATTEMPTS: "2",
      POWERTOOLS_LOG_LEVEL: process.env.DEBUG_TEST_LOGS ?? "SILENT",
      EMAIL_DEFAULT: JSON.stringify({ fromAddress: "noreply@3pl.example", replyTo: ["support@3pl.example"] }),
      GOODS_OWNERS: JSON.stringify({
        "160": {
          credentialsSecretName: "ongoing/other",
          email: { fromAddress: "shop@other.example", brandName: "Other Brand", language: "sv" },
        },
      }),
    },
  });
  ({ handler } = await import("../functions/order-shipped-email/index.ts"));
});

afterAll(async () => {
  await harness?.stop();
  await sesProxy?.stop();
  await ses?.stop();
  await ongoing?.stop();
});

let nextEventId = 9_000;
let nextOrderId = 80_000;

/** The order webhook Ongoing sends when an order's status changes to Sent. */
function sentEvent(orderId: number, goodsOwnerId = 159, webhookEventId = nextEventId++): Json {
  return {
    webhookOrdersId: 1,
    webhookEventId,
    system: "demo",
    timestamp: "2024-05-01T12:00:00.0000000",
    orderId,
    orderNumber: "irrelevant: the order is fetched",
    goodsOwnerId,
    goodsOwnerOrderId: null,
    path: `/api/v1/orders/${orderId}`,
    orderStatus: { number: 450 },
    webhookTemplate: "OrderStatusChanged",
  };
}

/** A copy of Ongoing's example order under a new id, changed by `patch` (objects merge, arrays replace). */
function putOrder(patch: (order: Json) => void, goodsOwnerId = 159): { orderId: number; email: string } {
  const orderId = nextOrderId++;
  const email = `customer-${orderId}@example.com`;
  const order = officialExample("order");
  order.goodsOwner = { id: goodsOwnerId, name: goodsOwnerId === 159 ? "REST example" : "Second demo owner" };
  const info = order.orderInfo as Json;
  info.orderStatus = { number: 450, text: "Skickad" };
  info.emailNotification = { toBeNotified: true, value: email };
  patch(order);
  ongoing.state.putOrder(order, orderId);
  return { orderId, email };
}

async function mailsTo(address: string): Promise<StoredMail[]> {
  return (await ses.mails()).filter((mail) => mail.destination.to.includes(address));
}

async function deliver(...events: Json[]): Promise<void> {
  for (const event of events) await harness.send(event, "order-shipped");
  await harness.run(handler);
}

async function shippedMailRecord(goodsOwnerId: number, orderId: number) {
  const { WorkflowStore } = await import("../functions/shared/state/workflow.ts");
  const store = new WorkflowStore<Record<string, unknown>>({
    tableName: harness.tables.state,
    kind: "shipped-mail",
    ttlSeconds: 3600,
  });
  return { store, record: await store.get(`${goodsOwnerId}#${orderId}`) };
}

describe("order-shipped-email with Ongoing's official example order", () => {
  it("mails the customer in English: recipient, subject, lines, tracking and address", async () => {
    ongoing.state.patchOrder(50163, {
      tracking: [
        { waybill: "UA65456546", trackingUrl: "https://tracking.example/UA65456546", isReturn: false },
      ],
    });
    await deliver(sentEvent(50163));

    const [mail, ...more] = await mailsTo("a@b.com");
    expect(more).toEqual([]);
    expect(mail).toMatchObject({
      from: "noreply@3pl.example",
      replyTo: ["support@3pl.example"],
      subject: "REST example: your order O1231234 has shipped",
    });
    expect(mail?.body.text).toContain("- 2 × 1009 (1009)");
    expect(mail?.body.text).toContain("Waybill UA65456546: https://tracking.example/UA65456546");
    expect(mail?.body.text).toContain("Parcel 00376546546");
    expect(mail?.body.text).toContain("Name 1\nAddress 1\nAddress 2\nAddress 3\n12345 City\nUnited States");
    expect(mail?.body.html).toContain('<a href="https://tracking.example/UA65456546">');
    expect(await harness.deadLetters()).toEqual([]);
    expect(harness.metricCount("MailsSent")).toBe(1);
    const { record } = await shippedMailRecord(159, 50163);
    expect(record).toMatchObject({ step: "sent", data: { sesMessageId: mail?.messageId } });
  });

  it("mails a consignee in Sweden in Swedish", async () => {
    const { orderId, email } = putOrder((order) => {
      (order.consignee as Json).countryCode = "SE";
    });
    await deliver(sentEvent(orderId));
    const [mail] = await mailsTo(email);
    expect(mail?.subject).toBe("REST example: din order O1231234 har skickats");
    expect(mail?.body.text).toContain("Det här skickades:\n- 2 × 1009 (1009)");
    expect(mail?.body.text).toContain("Leveransadress:\nName 1");
    expect(mail?.body.text).toContain("12345 City\nSverige");
  });

  it("uses a goods owner's own sender, brand and language over the default", async () => {
    const { orderId, email } = putOrder(() => undefined, 160);
    await deliver(sentEvent(orderId, 160));
    const [mail] = await mailsTo(email);
    expect(mail).toMatchObject({
      from: "shop@other.example",
      replyTo: ["support@3pl.example"],
      subject: "Other Brand: din order O1231234 har skickats",
    });
  });
});

describe("hostile content", () => {
  it("renders HTML, CR/LF, emoji and very long fields as safe text", async () => {
    const { orderId, email } = putOrder((order) => {
      order.goodsOwner = { id: 159, name: "Shop\r\nBcc: victim@example.com" };
      Object.assign(order.consignee as Json, {
        name: "<script>alert('x')</script>\r\nX-Injected: 1 🎉",
        address1: "A".repeat(5_000),
      });
      Object.assign(order.orderInfo as Json, {
        orderNumber: `<img src=x onerror=alert(1)>${"9".repeat(400)}`,
      });
      order.tracking = [{ waybill: "W1", trackingUrl: "javascript:alert(1)", isReturn: false }];
    });
    await deliver(sentEvent(orderId));
    const [mail] = await mailsTo(email);
    expect(mail).toBeDefined();
    expect(mail?.destination).toEqual({ to: [email], cc: [], bcc: [] });
    expect(mail?.subject).not.toMatch(/[\r\n]/);
    expect(Array.from(mail?.subject ?? "").length).toBeLessThanOrEqual(150);
    expect(mail?.body.html).not.toMatch(/<script|<img|javascript:/);
    expect(mail?.body.html).toContain("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; X-Injected: 1 🎉");
    expect(mail?.body.text).not.toContain("\nX-Injected");
    expect(mail?.body.text).toContain(`${"A".repeat(199)}…`);
  });
});

describe("orders that get no mail", () => {
  it.each([
    ["no-address", (order: Json) => Object.assign(order.orderInfo as Json, { emailNotification: null })],
    [
      "not-to-be-notified",
      (order: Json) =>
        Object.assign(order.orderInfo as Json, {
          emailNotification: { toBeNotified: false, value: "x@example.com" },
        }),
    ],
    [
      "invalid-address",
      (order: Json) =>
        Object.assign(order.orderInfo as Json, {
          emailNotification: { toBeNotified: true, value: "a@b.com\r\nBcc: c@d.com" },
        }),
    ],
    [
      "cancelled",
      (order: Json) =>
        Object.assign(order.orderInfo as Json, { orderStatus: { number: 1000, text: "Makulerad" } }),
    ],
    [
      "not-shipped",
      (order: Json) =>
        Object.assign(order.orderInfo as Json, { orderStatus: { number: 400, text: "Plockad" } }),
    ],
  ])("skips (%s), counted, without retries or a dead letter", async (reason, patch) => {
    const before = harness.metricCount("MailsSkipped", { reason });
    const mailsBefore = (await ses.mails()).length;
    const { orderId } = putOrder(patch);
    ongoing.state.clearCalls();
    await deliver(sentEvent(orderId));
    expect((await ses.mails()).length).toBe(mailsBefore);
    expect(harness.metricCount("MailsSkipped", { reason })).toBe(before + 1);
    expect(ongoing.state.callCounts().getOrder).toBe(1);
    expect(await harness.deadLetters()).toEqual([]);
  });

  it("dead-letters an order Ongoing does not know, with the reason", async () => {
    await deliver(sentEvent(99_999_999));
    const letters = await harness.deadLetters();
    expect(letters).toHaveLength(1);
    expect(letters[0]?.attributes).toMatchObject({ failureClass: "permanent", failureCode: "not-found" });
    expect(letters[0]?.attributes.failureReason).toMatch(/99999999|not found/i);
    expect(harness.metricCount("MailsFailed", { reason: "not-found" })).toBe(1);
  });
});

describe("failures that heal", () => {
  it("retries when Ongoing answers 5xx and mails once it recovers", async () => {
    const { orderId, email } = putOrder(() => undefined);
    ongoing.state.addFault({ status: 503, times: 3, path: `^/orders/${orderId}$` });
    await deliver(sentEvent(orderId));
    expect(await mailsTo(email)).toHaveLength(1);
    expect(ongoing.state.callCounts().getOrder).toBeGreaterThanOrEqual(4);
    expect(await harness.deadLetters()).toEqual([]);
  });

  it("retries SES throttling and delivers the mail later, once", async () => {
    const { orderId, email } = putOrder(() => undefined);
    const failedBefore = sesProxy.failed;
    // The SES client makes one attempt (an SDK retry could resend an accepted mail), so the pipeline retries.
    sesProxy.failNext(2, sesThrottling);
    await deliver(sentEvent(orderId));
    expect(sesProxy.failed - failedBefore).toBe(2);
    expect(await mailsTo(email)).toHaveLength(1);
    const { record } = await shippedMailRecord(159, orderId);
    expect(record).toMatchObject({ step: "sent", data: { attempts: 3, lastFailure: "Throttling" } });
    expect(await harness.deadLetters()).toEqual([]);
  });

  it("retries when SES is unavailable (503) and delivers the mail once it recovers, once", async () => {
    const { orderId, email } = putOrder(() => undefined);
    const failedBefore = sesProxy.failed;
    const transientBefore = harness.metricCount("Failed", { class: "transient" });
    sesProxy.failNext(1, sesServiceUnavailable);
    await deliver(sentEvent(orderId));
    expect(sesProxy.failed - failedBefore).toBe(1);
    expect(harness.metricCount("Failed", { class: "transient" }) - transientBefore).toBe(1);
    expect(await mailsTo(email)).toHaveLength(1);
    // A 503 says SES did not take the mail, so the claim was released and the retry sent it.
    const { record } = await shippedMailRecord(159, orderId);
    expect(record).toMatchObject({ step: "sent", data: { attempts: 2, lastFailure: "ServiceUnavailable" } });
    expect(await harness.deadLetters()).toEqual([]);
  });

  it("dead-letters a mail SES rejects, and a replay after the fix sends it", async () => {
    const { orderId, email } = putOrder(() => undefined);
    sesProxy.failNext(1, sesMessageRejected);
    const event = sentEvent(orderId);
    await deliver(event);
    const letters = await harness.deadLetters();
    expect(letters.map((letter) => letter.attributes.failureCode)).toEqual(["mail-rejected"]);
    expect(letters[0]?.attributes.failureReason).toContain("MessageRejected");
    expect(await mailsTo(email)).toEqual([]);

    await deliver(JSON.parse(letters[0]?.body ?? "{}") as Json);
    expect(await mailsTo(email)).toHaveLength(1);
  });
});

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
