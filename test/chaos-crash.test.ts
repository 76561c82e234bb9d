/**
 * A consumer that dies in the middle of a batch: the first records' mails are already with SES when the
 * invocation fails, so Lambda's event source hands the whole batch out again. Each customer still gets one mail.
 */
import type { Context, Handler, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, expect, it } from "vitest";
import { customerOf, OngoingAdmin } from "../devkit/ongoing.ts";
import { orderWebhookPayload } from "../devkit/payloads.ts";
import { type OngoingSimulator, startOngoingSimulator } from "../simulators/ongoing/server.ts";
import { type Harness, startHarness } from "./support/harness.ts";

let ongoing: OngoingSimulator;
let harness: Harness;
let handler: Handler<SQSEvent, SQSBatchResponse>;

beforeAll(async () => {
  ongoing = await startOngoingSimulator({ port: 0 });
  harness = await startHarness({
    useCase: "order-shipped-email",
    ses: true,
    // A crashed batch is back in sight after a second, as after a short function time-out.
    visibilityTimeoutSeconds: 1,
    secrets: { "ongoing/demo": JSON.stringify({ username: "demo", password: "demo-password" }) },
    env: {
      ONGOING_BASE_URL: ongoing.baseUrl,
      ONGOING_CREDENTIALS_SECRET: "ongoing/demo",
      EMAIL_DEFAULT: JSON.stringify({ fromAddress: "noreply@3pl.example", replyTo: [] }),
    },
  });
  ({ handler } = await import("../functions/order-shipped-email/index.ts"));
});

afterAll(async () => {
  await harness?.stop();
  await ongoing?.stop();
});

/**
 * The real handler, in a container that dies once: its first invocation does the first half of the batch and
 * then fails as a crashed runtime does (no batch response); every later invocation runs normally.
 */
function crashingOnce(real: Handler<SQSEvent, SQSBatchResponse>): Handler<SQSEvent, SQSBatchResponse> {
  let crashed = false;
  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    if (crashed || event.Records.length < 2)
      return (await real(event, context, () => undefined)) as SQSBatchResponse;
    crashed = true;
    const firstHalf = event.Records.slice(0, Math.floor(event.Records.length / 2));
    await real({ Records: firstHalf }, context, () => undefined);
    throw new Error("Runtime exited with error: signal: killed");
  };
}

it("sends each mail once when the consumer crashes in the middle of a batch", async () => {
  const orderIds = Array.from({ length: 10 }, (_, index) => 4_000_001 + index);
  await new OngoingAdmin(ongoing.adminUrl).createShippedOrders(orderIds);
  for (const orderId of orderIds) await harness.send(orderWebhookPayload(orderId, 159), "order-shipped");

  await harness.run(crashingOnce(handler), { batchSize: 10 });

  const mails = await harness.mails();
  for (const orderId of orderIds) {
    expect(mails.filter((mail) => mail.destination.to.includes(customerOf(orderId).email))).toHaveLength(1);
  }
  expect(await harness.deadLetters()).toEqual([]);
  // The redelivered first half meets its shipped-mail records.
  expect(harness.metricCount("MailsSkipped", { reason: "already-mailed" })).toBeGreaterThanOrEqual(1);
}, 30_000);
