/**
 * The shipped-mail function paces itself to its share of SES's sending rate: a batch larger than SES's
 * per-second allowance goes out without one throttled send. SES is aws-ses-v2-local behind a proxy that
 * enforces a sending rate the way SES does (a token bucket, full at the start).
 */
import type { Handler, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type FaultProxy, isSendEmail, sesAnswers, startFaultProxy } from "../devkit/fault-proxy.ts";
import { type Emulator, type StoredMail, startSes } from "../local/emulators.ts";
import { type Json, officialExample } from "../simulators/ongoing/seed.ts";
import { type OngoingSimulator, startOngoingSimulator } from "../simulators/ongoing/server.ts";
import { loginSecret } from "./support/env.ts";
import { type Harness, startHarness } from "./support/harness.ts";

const sesRatePerSecond = 4;
const mails = 10;

let ongoing: OngoingSimulator;
let ses: Emulator & { mails(): Promise<StoredMail[]> };
let sesQuota: FaultProxy;
let harness: Harness;
let handler: Handler<SQSEvent, SQSBatchResponse>;

beforeAll(async () => {
  ongoing = await startOngoingSimulator();
  ses = await startSes();
  sesQuota = await startFaultProxy({ record: isSendEmail, throttleAnswer: sesAnswers.throttling });
  sesQuota.target = ses.endpoint;
  sesQuota.ratePerSecond = sesRatePerSecond;
  harness = await startHarness({
    useCase: "order-shipped-email",
    secrets: { "ongoing/demo": loginSecret("demo") },
    env: {
      AWS_ENDPOINT_URL_SES: sesQuota.endpoint,
      ONGOING_BASE_URL: ongoing.baseUrl,
      ONGOING_CREDENTIALS_SECRET: "ongoing/demo",
      POWERTOOLS_LOG_LEVEL: process.env.DEBUG_TEST_LOGS ?? "SILENT",
      EMAIL_DEFAULT: JSON.stringify({ fromAddress: "noreply@3pl.example" }),
      // One invocation at a time here, so its share is the whole rate.
      SES_SEND_RATE_PER_INVOCATION: String(sesRatePerSecond),
    },
  });
  ({ handler } = await import("../functions/order-shipped-email/index.ts"));
});

afterAll(async () => {
  await harness?.stop();
  await sesQuota?.stop();
  await ses?.stop();
  await ongoing?.stop();
});

it("sends a batch of more mails than SES takes in a second without being throttled", async () => {
  const recipients: string[] = [];
  for (let index = 0; index < mails; index++) {
    const orderId = 7_000 + index;
    const order = officialExample("order");
    order.goodsOwner = { id: 159, name: "REST example" };
    const info = order.orderInfo as Json;
    info.orderStatus = { number: 450, text: "Skickad" };
    recipients.push(`paced-${orderId}@example.com`);
    info.emailNotification = { toBeNotified: true, value: recipients.at(-1) };
    ongoing.state.putOrder(order, orderId);
    await harness.send(
      {
        goodsOwnerId: 159,
        orderId,
        orderNumber: `P-${orderId}`,
        webhookEventId: 70_000 + index,
        orderStatus: { number: 450 },
        webhookTemplate: "OrderStatusChanged",
      },
      "order-shipped",
    );
  }
  // A paced mail needs SES's whole time-out left after its slot, as with the stack's 60 s default.
  await harness.run(handler, { functionTimeoutMs: 60_000 });

  expect(sesQuota.faulted).toBe(0);
  const sent = (await ses.mails()).flatMap((mail) => mail.destination.to);
  expect(sent.sort()).toEqual(recipients.sort());
  expect(await harness.deadLetters()).toEqual([]);
});
