import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queueDepth } from "../functions/shared/aws/sqs.ts";
import { type Emulator, startSqs } from "./emulators.ts";
import { startSqsPoller } from "./sqs-poller.ts";

let emulator: Emulator;
let sqs: SQSClient;

beforeAll(async () => {
  emulator = await startSqs();
  sqs = new SQSClient({
    endpoint: emulator.endpoint,
    region: "eu-west-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    useQueueUrlAsEndpoint: false,
  });
});
afterAll(async () => {
  sqs.destroy();
  await emulator.stop();
});

async function queue(
  name: string,
  attributes: Record<string, string> = {},
): Promise<{ url: string; arn: string }> {
  const { QueueUrl = "" } = await sqs.send(
    new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
  );
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }),
  );
  return { url: QueueUrl, arn: Attributes?.QueueArn ?? "" };
}

describe("sqs-poller, one batch", () => {
  it("when disabled leaves new messages on the queue, and works them off once enabled again", async () => {
    const source = await queue("paused");
    const bodies: string[] = [];
    const poller = await startSqsPoller({
      queueUrl: source.url,
      sqsClient: sqs,
      maxConcurrency: 2,
      handler: async (event) => {
        bodies.push(...event.Records.map((record) => record.body));
        return { batchItemFailures: [] };
      },
    });
    try {
      await poller.setEnabled(false);
      for (const body of ["a", "b", "c"]) {
        await sqs.send(new SendMessageCommand({ QueueUrl: source.url, MessageBody: body }));
      }
      // Longer than a long poll: a disabled source must not have taken anything.
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      expect(bodies).toEqual([]);
      expect(await queueDepth(sqs, source.url)).toBe(3);
      await poller.setEnabled(true);
      await poller.idle();
      expect(bodies.sort()).toEqual(["a", "b", "c"]);
    } finally {
      await poller.stop();
    }
  });

  it("hands the handler a Lambda-shaped SQS event and context, and deletes the batch", async () => {
    const source = await queue("shape");
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: source.url,
        MessageBody: '{"webhookEventId":1}',
        MessageAttributes: { eventType: { DataType: "String", StringValue: "order-shipped" } },
      }),
    );
    const events: SQSEvent[] = [];
    let remaining = 0;
    const poller = await startSqsPoller({
      queueUrl: source.url,
      sqsClient: sqs,
      functionTimeoutMs: 5_000,
      handler: async (event, context) => {
        events.push(event);
        remaining = context.getRemainingTimeInMillis();
        return { batchItemFailures: [] };
      },
    });
    await poller.idle();
    await poller.stop();

    expect(events).toHaveLength(1);
    const [record] = events[0]?.Records ?? [];
    expect(record).toMatchObject({
      messageId: expect.any(String),
      receiptHandle: expect.any(String),
      body: '{"webhookEventId":1}',
      attributes: {
        ApproximateReceiveCount: "1",
        SentTimestamp: expect.stringMatching(/^\d+$/),
        ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d+$/),
        SenderId: expect.any(String),
      },
      messageAttributes: {
        eventType: {
          stringValue: "order-shipped",
          dataType: "String",
          stringListValues: [],
          binaryListValues: [],
        },
      },
      md5OfBody: expect.stringMatching(/^[0-9a-f]{32}$/),
      eventSource: "aws:sqs",
      eventSourceARN: source.arn,
      awsRegion: "eu-west-1",
    });
    expect(remaining).toBeGreaterThan(0);
    expect(remaining).toBeLessThanOrEqual(5_000);
    expect(await queueDepth(sqs, source.url)).toBe(0);
  });

  it("keeps the reported failures, deletes the rest, and fauxqs redrives after maxReceiveCount", async () => {
    const deadLetters = await queue("partial-dlq");
    // Visibility 0: a kept message comes straight back, so the receives run out quickly.
    const source = await queue("partial", {
      VisibilityTimeout: "0",
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetters.arn, maxReceiveCount: 2 }),
    });
    for (const body of ["good", "bad", "good"]) {
      await sqs.send(new SendMessageCommand({ QueueUrl: source.url, MessageBody: body }));
    }
    const seen: Array<{ body: string; receiveCount: string }> = [];
    const poller = await startSqsPoller({
      queueUrl: source.url,
      sqsClient: sqs,
      waitTimeSeconds: 0,
      handler: async (event): Promise<SQSBatchResponse> => {
        for (const r of event.Records)
          seen.push({ body: r.body, receiveCount: r.attributes.ApproximateReceiveCount });
        return {
          batchItemFailures: event.Records.filter((r) => r.body === "bad").map((r) => ({
            itemIdentifier: r.messageId,
          })),
        };
      },
    });
    await poller.idle();
    await poller.stop();

    expect(seen.filter((s) => s.body === "good")).toHaveLength(2);
    expect(seen.filter((s) => s.body === "bad").map((s) => s.receiveCount)).toEqual(["1", "2"]);
    expect(await queueDepth(sqs, source.url)).toBe(0);
    expect(await queueDepth(sqs, deadLetters.url)).toBe(1);
  });
});

describe("sqs-poller, batching", () => {
  it("hands no invocation more than batchSize records and runs at most maxConcurrency at once", async () => {
    const batchSize = 2;
    const maxConcurrency = 3;
    const source = await queue("limits");
    const bodies = Array.from({ length: 14 }, (_, index) => `m${index}`);
    for (const body of bodies)
      await sqs.send(new SendMessageCommand({ QueueUrl: source.url, MessageBody: body }));

    const batchSizes: number[] = [];
    const seen: string[] = [];
    let active = 0;
    let mostActive = 0;
    // The first invocations wait until maxConcurrency of them run together, so the limit is actually reached
    // (a poller that ran them one by one would pass "at most" trivially); then they linger briefly, so a poller
    // that let one more run would show it. The 2 s fallback only stops a serial poller from hanging the test.
    let fullHouse: () => void = () => undefined;
    const reachedLimit = new Promise<void>((resolve) => {
      fullHouse = resolve;
    });
    const poller = await startSqsPoller({
      queueUrl: source.url,
      sqsClient: sqs,
      waitTimeSeconds: 0,
      batchSize,
      maxConcurrency,
      handler: async (event) => {
        active += 1;
        mostActive = Math.max(mostActive, active);
        batchSizes.push(event.Records.length);
        seen.push(...event.Records.map((record) => record.body));
        if (active === maxConcurrency) setTimeout(fullHouse, 200);
        await Promise.race([reachedLimit, new Promise((resolve) => setTimeout(resolve, 2_000))]);
        active -= 1;
        return { batchItemFailures: [] };
      },
    });
    await poller.idle();
    await poller.stop();

    expect(mostActive).toBe(maxConcurrency);
    expect(Math.max(...batchSizes)).toBe(batchSize);
    expect(seen.sort()).toEqual([...bodies].sort());
    expect(await queueDepth(sqs, source.url)).toBe(0);
  });

  it("with a batching window, gathers messages sent a little apart into one invocation", async () => {
    const source = await queue("window");
    const invocations: string[][] = [];
    const poller = await startSqsPoller({
      queueUrl: source.url,
      sqsClient: sqs,
      waitTimeSeconds: 0,
      batchSize: 10,
      batchingWindowSeconds: 3,
      handler: async (event) => {
        invocations.push(event.Records.map((record) => record.body));
        return { batchItemFailures: [] };
      },
    });
    for (const body of ["a", "b", "c"]) {
      await sqs.send(new SendMessageCommand({ QueueUrl: source.url, MessageBody: body }));
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    await poller.idle();
    await poller.stop();

    expect(invocations).toHaveLength(1);
    expect(invocations[0]?.sort()).toEqual(["a", "b", "c"]);
    expect(await queueDepth(sqs, source.url)).toBe(0);
  });

  it("with a batching window, fills a batch larger than one receive and deletes all of it", async () => {
    const source = await queue("window-large");
    const bodies = Array.from({ length: 15 }, (_, index) => `m${index}`);
    for (const body of bodies)
      await sqs.send(new SendMessageCommand({ QueueUrl: source.url, MessageBody: body }));
    const invocations: string[][] = [];
    const poller = await startSqsPoller({
      queueUrl: source.url,
      sqsClient: sqs,
      waitTimeSeconds: 0,
      batchSize: 15,
      batchingWindowSeconds: 5,
      handler: async (event) => {
        invocations.push(event.Records.map((record) => record.body));
        return { batchItemFailures: [] };
      },
    });
    await poller.idle();
    await poller.stop();

    expect(invocations).toHaveLength(1);
    expect(invocations[0]?.sort()).toEqual([...bodies].sort());
    expect(await queueDepth(sqs, source.url)).toBe(0);
  });
});

describe("sqs-poller, a failed invocation", () => {
  it("keeps the whole batch when the handler throws", async () => {
    const source = await queue("throws", { VisibilityTimeout: "30" });
    await sqs.send(new SendMessageCommand({ QueueUrl: source.url, MessageBody: "x" }));
    let calls = 0;
    const errors: unknown[] = [];
    const poller = await startSqsPoller({
      queueUrl: source.url,
      sqsClient: sqs,
      onError: (error) => errors.push(error),
      handler: async () => {
        calls += 1;
        throw new Error("boom");
      },
    });
    await expect.poll(() => calls).toBe(1);
    await poller.stop();
    expect(errors).toHaveLength(1);
    expect(await queueDepth(sqs, source.url)).toBe(1);
  });
});
