import { describe, expect, it } from "vitest";
import type { Json } from "../simulators/ongoing/seed.ts";
import {
  deliver,
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
import { sesMessageRejected, sesServiceUnavailable, sesThrottling } from "./support/failing-ses-proxy.ts";

useOrderShippedEmailStack();

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
