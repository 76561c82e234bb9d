/**
 * A transiently failing record is held back (ChangeMessageVisibility) before its next attempt, then succeeds.
 * The queue's own visibility timeout is 0 here, so only the pipeline's hold-back keeps the message invisible.
 */
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import type { Handler, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, expect, it } from "vitest";
import * as z from "zod";
import { startSqsPoller } from "../local/sqs-poller.ts";
import { type Harness, startHarness } from "./support/harness.ts";

const schema = z.looseObject({ webhookEventId: z.number(), goodsOwnerId: z.number() });
const receiveCounts: number[] = [];

let harness: Harness;
let handler: Handler<SQSEvent, SQSBatchResponse>;

beforeAll(async () => {
  harness = await startHarness({
    useCase: "transport-booking",
    maxReceiveCount: 5,
    visibilityTimeoutSeconds: 0,
    env: { RETRY_BASE_DELAY_SECONDS: "1" },
  });
  const { createConsumer } = await import("../functions/shared/pipeline/consumer.ts");
  const { TransientError } = await import("../functions/shared/errors.ts");
  handler = createConsumer({
    useCase: "transport-booking",
    schema,
    async handle(record) {
      receiveCounts.push(record.receiveCount);
      if (receiveCounts.length < 3)
        throw new TransientError("upstream-5xx", "the transport system answered 503");
      return { status: "done" };
    },
  });
});
afterAll(() => harness.stop());

it("holds a transiently failed message back, retries it with its receive count, and then succeeds", async () => {
  await harness.send({ webhookEventId: 1, goodsOwnerId: 2 }, "order-shipped");

  const poller = await startSqsPoller({
    queueUrl: harness.queueUrl,
    handler,
    sqsClient: harness.sqs,
    waitTimeSeconds: 0,
  });
  await expect.poll(() => receiveCounts.length).toBe(1);
  await poller.stop();
  const { Attributes } = await harness.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: harness.queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  expect(Attributes).toMatchObject({
    ApproximateNumberOfMessages: "0",
    ApproximateNumberOfMessagesNotVisible: "1",
  });

  await harness.run(handler);

  expect(receiveCounts).toEqual([1, 2, 3]);
  expect(harness.metricCount("Failed", { class: "transient", service: "transport-booking" })).toBe(2);
  expect(harness.metricCount("Processed")).toBe(1);
  expect(await harness.deadLetters()).toEqual([]);
});
