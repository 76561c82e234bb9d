/**
 * Invokes a Lambda handler the way Lambda's SQS event source mapping does: long-polls a queue, hands the handler
 * real-shaped `SQSEvent` batches with a Lambda `Context`, deletes what the handler did not report as failed
 * (nothing when it throws or times out), runs at most `maxConcurrency` batches at once and, given a batching
 * window, gathers a batch for up to that long after its first message. Used by the tests
 * and the local stack. Redrive to the DLQ after `maxReceiveCount` is left to the queue's RedrivePolicy, which
 * fauxqs honours like SQS does (checked in sqs-poller.test.ts).
 */
import { randomUUID } from "node:crypto";
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import type {
  Context,
  Handler,
  SQSBatchResponse,
  SQSEvent,
  SQSMessageAttributes,
  SQSRecord,
} from "aws-lambda";
import { queueDepth } from "../functions/shared/aws/sqs.ts";

export interface SqsPollerOptions {
  readonly queueUrl: string;
  /** The function's handler; no answer means every record succeeded. */
  readonly handler: Handler<SQSEvent, SQSBatchResponse | undefined>;
  /**
   * Messages per invocation. SQS returns at most 10 per receive, so without a batching window a batch holds at
   * most 10. @default 10
   */
  readonly batchSize?: number;
  /**
   * The mapping's `MaximumBatchingWindowInSeconds`: after the first message of a batch, keep receiving until
   * `batchSize` messages or this many seconds have passed. 0 invokes with what one receive returns. @default 0
   */
  readonly batchingWindowSeconds?: number;
  /** Batches in flight at once (the mapping's maximum concurrency). @default 1 */
  readonly maxConcurrency?: number;
  /** The function timeout: the handler's `getRemainingTimeInMillis` counts down from it. @default 30000 */
  readonly functionTimeoutMs?: number;
  /**
   * Long-poll wait per receive; `stop()` waits for an open long poll to return, so this bounds how long it
   * takes. 0 polls every 50 ms instead. @default 1
   */
  readonly waitTimeSeconds?: number;
  /** The queue's ARN in the event. @default read from the queue (`QueueArn`) */
  readonly eventSourceArn?: string;
  /** Names the function in the Lambda context. @default "local-consumer" */
  readonly functionName?: string;
  /** Told about receive/delete errors and handler errors. @default console.error */
  readonly onError?: (error: unknown) => void;
  /** A configured client, or an `endpoint` to build one for (local credentials). */
  readonly sqsClient?: SQSClient;
  readonly endpoint?: string;
  readonly region?: string;
}

export interface SqsPoller {
  /**
   * Stops polling and waits for the batches in flight and for an open long poll (aborting it client-side would
   * leave the server to hand it messages nobody sees, invisible for their visibility timeout).
   */
  stop(): Promise<void>;
  /** Resolves when the queue holds no message (visible, in flight or delayed) and no batch is in flight. */
  idle(): Promise<void>;
  /**
   * Disables or enables the event source, like the mapping's `Enabled`. Disabling resolves once no batch is in
   * flight and no receive is open; messages a receive returned meanwhile go back to the queue at once.
   */
  setEnabled(enabled: boolean): Promise<void>;
}

const idleCheckMs = 50;
const emptyPollPauseMs = 50;
/** Receives open at once while a batch larger than one receive (10) is gathered. */
const parallelReceives = 10;

export async function startSqsPoller(options: SqsPollerOptions): Promise<SqsPoller> {
  const region = options.region ?? process.env.AWS_REGION ?? "eu-west-1";
  const ownClient = options.sqsClient === undefined;
  const sqs =
    options.sqsClient ??
    new SQSClient({
      region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
      // The queue URL names the queue; the endpoint says where SQS is.
      useQueueUrlAsEndpoint: false,
    });
  const eventSourceArn = options.eventSourceArn ?? (await queueArn(sqs, options.queueUrl));
  const batchingWindowMs = Math.max(0, options.batchingWindowSeconds ?? 0) * 1000;
  const batchSize = Math.max(1, Math.min(batchingWindowMs > 0 ? 10_000 : 10, options.batchSize ?? 10));
  const waitTimeSeconds = options.waitTimeSeconds ?? 1;
  const functionTimeoutMs = options.functionTimeoutMs ?? 30_000;
  const functionName = options.functionName ?? "local-consumer";
  const onError = options.onError ?? ((error: unknown) => console.error("sqs-poller:", error));
  let inFlight = 0;
  /** Deletes of finished batches still under way. */
  const deleting = new Set<Promise<void>>();
  let stopped = false;
  let enabled = true;
  /** Workers parked while disabled, and how to wake them. */
  let parked = 0;
  let wake: (() => void) | undefined;
  let woken = Promise.resolve();
  const parkedChanged = new Set<() => void>();
  const notifyParked = () => {
    for (const listener of parkedChanged) listener();
  };

  const invoke = async (messages: Message[]): Promise<void> => {
    const event: SQSEvent = { Records: messages.map((message) => toRecord(message, eventSourceArn, region)) };
    const context = lambdaContext(functionName, region, functionTimeoutMs);
    let failed: Set<string>;
    try {
      const response = await withTimeout(
        Promise.resolve(options.handler(event, context, () => undefined)),
        functionTimeoutMs,
      );
      failed = new Set(
        (response ?? { batchItemFailures: [] }).batchItemFailures.map((f) => f.itemIdentifier),
      );
    } catch (error) {
      // A thrown error or a time-out fails the whole batch: every message returns after its visibility timeout.
      onError(error);
      return;
    }
    const succeeded = event.Records.filter((record) => !failed.has(record.messageId));
    if (succeeded.length === 0) return;
    // Like Lambda's pollers, the next batch need not wait for this one's deletes; stop() and idle() do.
    const deletion = remove(succeeded).catch(onError);
    deleting.add(deletion);
    void deletion.finally(() => deleting.delete(deletion));
  };

  /** Deletes processed messages, 10 to a request (the batch APIs' limit), the requests side by side. */
  const remove = async (records: SQSRecord[]): Promise<void> => {
    await Promise.all(
      chunks(records, 10).map(async (chunk) => {
        const result = await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: options.queueUrl,
            Entries: chunk.map((record, index) => ({
              Id: String(index),
              ReceiptHandle: record.receiptHandle,
            })),
          }),
        );
        for (const failure of result.Failed ?? [])
          onError(new Error(`delete failed: ${failure.Message ?? failure.Code}`));
      }),
    );
  };

  const release = async (messages: Message[]): Promise<void> => {
    for (const chunk of chunks(messages, 10)) {
      try {
        await sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: options.queueUrl,
            Entries: chunk.map((message, index) => ({
              Id: String(index),
              ReceiptHandle: message.ReceiptHandle,
              VisibilityTimeout: 0,
            })),
          }),
        );
      } catch (error) {
        onError(error);
      }
    }
  };

  const receive = async (maxMessages: number, waitSeconds: number): Promise<Message[]> => {
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: Math.min(10, maxMessages),
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ["All"],
        MessageAttributeNames: ["All"],
      }),
    );
    return received.Messages ?? [];
  };

  /**
   * Up to `maxMessages` with receives side by side (one returns at most 10), as Lambda's pollers do. Messages
   * that came are kept even when another receive failed; it fails only when every receive did.
   */
  const receiveMany = async (maxMessages: number, waitSeconds: number): Promise<Message[]> => {
    const settled = await Promise.allSettled(
      Array.from({ length: Math.min(parallelReceives, Math.ceil(maxMessages / 10)) }, (_, index) =>
        receive(Math.min(10, maxMessages - index * 10), waitSeconds),
      ),
    );
    const messages = settled.flatMap((result) => (result.status === "fulfilled" ? result.value : []));
    const failure = settled.find((result) => result.status === "rejected");
    if (failure && messages.length === 0) throw failure.reason;
    if (failure) onError(failure.reason);
    return messages;
  };

  /** Like Lambda: after the first message, keep receiving until the batch is full or the window has passed. */
  const fillBatch = async (messages: Message[]): Promise<void> => {
    const deadline = Date.now() + batchingWindowMs;
    // A disable ends the window at once: what was gathered goes back to the queue.
    while (!stopped && enabled && messages.length < batchSize) {
      const left = deadline - Date.now();
      if (left <= 0) return;
      let more: Message[];
      try {
        more = await receiveMany(
          batchSize - messages.length,
          Math.min(waitTimeSeconds, Math.floor(left / 1000)),
        );
      } catch (error) {
        onError(error);
        return;
      }
      messages.push(...more);
      if (more.length === 0) await sleep(Math.min(emptyPollPauseMs, Math.max(0, deadline - Date.now())));
    }
  };

  const worker = async (): Promise<void> => {
    while (!stopped) {
      if (!enabled) {
        parked += 1;
        notifyParked();
        await woken;
        parked -= 1;
        continue;
      }
      let messages: Message[];
      try {
        messages = await receiveMany(batchSize, waitTimeSeconds);
      } catch (error) {
        if (stopped) return;
        onError(error);
        await sleep(200);
        continue;
      }
      if (messages.length === 0) {
        if (waitTimeSeconds === 0) await sleep(emptyPollPauseMs);
        continue;
      }
      if (batchingWindowMs > 0) await fillBatch(messages);
      // A receive that was open when stop() came must not swallow its messages: they go back to the queue.
      if (stopped) return release(messages);
      if (!enabled) {
        await release(messages);
        continue;
      }
      inFlight += 1;
      try {
        await invoke(messages);
      } catch (error) {
        onError(error);
      } finally {
        inFlight -= 1;
      }
    }
  };

  const workerCount = Math.max(1, options.maxConcurrency ?? 1);
  const workers = Array.from({ length: workerCount }, () => worker());

  return {
    async setEnabled(on: boolean) {
      if (on) {
        if (enabled) return;
        enabled = true;
        wake?.();
        // A disable still waiting for the workers to park has nothing left to wait for.
        notifyParked();
        return;
      }
      if (enabled) {
        enabled = false;
        woken = new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      // Also when already disabled: a second caller waits, as the first does, for the workers to park.
      await new Promise<void>((resolve) => {
        const check = () => {
          if (parked < workerCount && !stopped && !enabled) return;
          parkedChanged.delete(check);
          resolve();
        };
        parkedChanged.add(check);
        check();
      });
      await Promise.all(deleting);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      wake?.();
      notifyParked();
      await Promise.all(workers);
      await Promise.all(deleting);
      if (ownClient) sqs.destroy();
    },
    async idle() {
      // Two quiet looks in a row, so a message between receive and invoke is not missed.
      let quiet = 0;
      while (quiet < 2) {
        await sleep(idleCheckMs);
        quiet =
          inFlight === 0 && deleting.size === 0 && (await queueDepth(sqs, options.queueUrl)) === 0
            ? quiet + 1
            : 0;
      }
    },
  };
}

/** Visible + in-flight + delayed messages on a queue. */

async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }),
  );
  if (!Attributes?.QueueArn) throw new Error(`no QueueArn for ${queueUrl}`);
  return Attributes.QueueArn;
}

/** A received message as Lambda's SQS event source puts it in the event. */
export function toRecord(message: Message, eventSourceArn: string, awsRegion: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? "",
    receiptHandle: message.ReceiptHandle ?? "",
    body: message.Body ?? "",
    attributes: {
      ...attributes,
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? "1",
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? "AIDALOCALSENDER",
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: toEventAttributes(message.MessageAttributes ?? {}),
    md5OfBody: message.MD5OfBody ?? "",
    ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    eventSource: "aws:sqs",
    eventSourceARN: eventSourceArn,
    awsRegion,
  };
}

function toEventAttributes(attributes: Record<string, MessageAttributeValue>): SQSMessageAttributes {
  const converted: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(attributes)) {
    converted[name] = {
      ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined
        ? { binaryValue: Buffer.from(value.BinaryValue).toString("base64") }
        : {}),
      stringListValues: [],
      binaryListValues: [],
      dataType: (value.DataType ?? "String") as SQSMessageAttributes[string]["dataType"],
    };
  }
  return converted;
}

function lambdaContext(functionName: string, region: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  const awsRequestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${functionName}`,
    memoryLimitInMB: "1024",
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${awsRequestId.replaceAll("-", "")}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Unlike Lambda, a timed-out handler is not frozen: it runs on, but its answer is ignored. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`handler timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, index) =>
    items.slice(index * size, (index + 1) * size),
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
