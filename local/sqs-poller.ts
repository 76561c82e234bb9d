/**
 * Invokes a Lambda handler the way Lambda's SQS event source mapping does: long-polls a queue, hands the handler
 * real-shaped `SQSEvent` batches with a Lambda `Context`, deletes what the handler did not report as failed
 * (nothing when it throws or times out), runs at most `maxConcurrency` batches at once and, given a batching
 * window, gathers a batch for up to that long after its first message. Used by the tests
 * and the local stack. Redrive to the DLQ after `maxReceiveCount` is left to the queue's RedrivePolicy, which
 * fauxqs honours like SQS does (checked in sqs-poller.test.ts).
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import type { Handler, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { queueDepth } from "../functions/shared/aws/sqs.ts";
import { lambdaContext, toRecord, withTimeout } from "./lambda-events.ts";

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
  const settings: PollerSettings = {
    ...options,
    region,
    eventSourceArn,
    batchingWindowMs,
    batchSize: Math.max(1, Math.min(batchingWindowMs > 0 ? 10_000 : 10, options.batchSize ?? 10)),
    waitTimeSeconds: options.waitTimeSeconds ?? 1,
    functionTimeoutMs: options.functionTimeoutMs ?? 30_000,
    functionName: options.functionName ?? "local-consumer",
    onError: options.onError ?? ((error: unknown) => console.error("sqs-poller:", error)),
  };
  const calls = queueCalls(sqs, options.queueUrl, settings.onError);
  const state: PollerState = { stopped: false, inFlight: 0, deleting: new Set() };
  const workerCount = Math.max(1, options.maxConcurrency ?? 1);
  const gate = new EnableGate(workerCount, () => state.stopped);
  const workers = Array.from({ length: workerCount }, () => worker(settings, calls, state, gate));

  return {
    async setEnabled(on: boolean) {
      if (on) return gate.open();
      await gate.close();
      await Promise.all(state.deleting);
    },
    async stop() {
      if (state.stopped) return;
      state.stopped = true;
      gate.release();
      await Promise.all(workers);
      await Promise.all(state.deleting);
      if (ownClient) sqs.destroy();
    },
    async idle() {
      // Two quiet looks in a row, so a message between receive and invoke is not missed.
      let quiet = 0;
      while (quiet < 2) {
        await sleep(idleCheckMs);
        quiet =
          state.inFlight === 0 && state.deleting.size === 0 && (await queueDepth(sqs, options.queueUrl)) === 0
            ? quiet + 1
            : 0;
      }
    },
  };
}

type PollerSettings = SqsPollerOptions & {
  readonly region: string;
  readonly eventSourceArn: string;
  readonly batchingWindowMs: number;
  readonly batchSize: number;
  readonly waitTimeSeconds: number;
  readonly functionTimeoutMs: number;
  readonly functionName: string;
  readonly onError: (error: unknown) => void;
};

interface PollerState {
  stopped: boolean;
  inFlight: number;
  /** Deletes of finished batches still under way. */
  readonly deleting: Set<Promise<void>>;
}

type QueueCalls = ReturnType<typeof queueCalls>;

/** Parks the workers while the event source is disabled, and tells a disable when they all are. */
class EnableGate {
  enabled = true;
  #parked = 0;
  #wake: (() => void) | undefined;
  #woken = Promise.resolve();
  readonly #parkedChanged = new Set<() => void>();

  constructor(
    private readonly workerCount: number,
    private readonly stopped: () => boolean,
  ) {}

  /** A worker waits here until enabled again (or stopped). */
  async park(): Promise<void> {
    this.#parked += 1;
    this.#notify();
    await this.#woken;
    this.#parked -= 1;
  }

  open(): void {
    if (this.enabled) return;
    this.enabled = true;
    this.#wake?.();
    // A disable still waiting for the workers to park has nothing left to wait for.
    this.#notify();
  }

  /** Disables; resolves once every worker is parked (also for a second caller when already disabled). */
  async close(): Promise<void> {
    if (this.enabled) {
      this.enabled = false;
      this.#woken = new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
    await new Promise<void>((resolve) => {
      const check = () => {
        if (this.#parked < this.workerCount && !this.stopped() && !this.enabled) return;
        this.#parkedChanged.delete(check);
        resolve();
      };
      this.#parkedChanged.add(check);
      check();
    });
  }

  /** On stop: wakes the parked workers and any disable waiting for them. */
  release(): void {
    this.#wake?.();
    this.#notify();
  }

  #notify(): void {
    for (const listener of this.#parkedChanged) listener();
  }
}

async function worker(settings: PollerSettings, calls: QueueCalls, state: PollerState, gate: EnableGate) {
  const { onError } = settings;
  while (!state.stopped) {
    if (!gate.enabled) {
      await gate.park();
      continue;
    }
    let messages: Message[];
    try {
      messages = await calls.receiveMany(settings.batchSize, settings.waitTimeSeconds);
    } catch (error) {
      if (state.stopped) return;
      onError(error);
      await sleep(200);
      continue;
    }
    if (messages.length === 0) {
      if (settings.waitTimeSeconds === 0) await sleep(emptyPollPauseMs);
      continue;
    }
    if (settings.batchingWindowMs > 0)
      await fillBatch(messages, settings, calls, () => !state.stopped && gate.enabled);
    // A receive that was open when stop() came must not swallow its messages: they go back to the queue.
    if (state.stopped) return calls.release(messages);
    if (!gate.enabled) {
      await calls.release(messages);
      continue;
    }
    state.inFlight += 1;
    try {
      await invoke(messages, settings, calls, state);
    } catch (error) {
      onError(error);
    } finally {
      state.inFlight -= 1;
    }
  }
}

async function invoke(messages: Message[], settings: PollerSettings, calls: QueueCalls, state: PollerState) {
  const event: SQSEvent = {
    Records: messages.map((message) => toRecord(message, settings.eventSourceArn, settings.region)),
  };
  const context = lambdaContext(settings.functionName, settings.region, settings.functionTimeoutMs);
  let failed: Set<string>;
  try {
    const response = await withTimeout(
      Promise.resolve(settings.handler(event, context, () => undefined)),
      settings.functionTimeoutMs,
    );
    failed = new Set((response ?? { batchItemFailures: [] }).batchItemFailures.map((f) => f.itemIdentifier));
  } catch (error) {
    // A thrown error or a time-out fails the whole batch: every message returns after its visibility timeout.
    settings.onError(error);
    return;
  }
  const succeeded = event.Records.filter((record) => !failed.has(record.messageId));
  if (succeeded.length === 0) return;
  // Like Lambda's pollers, the next batch need not wait for this one's deletes; stop() and idle() do.
  const deletion = calls.remove(succeeded).catch(settings.onError);
  state.deleting.add(deletion);
  void deletion.finally(() => state.deleting.delete(deletion));
}

/** Like Lambda: after the first message, keep receiving until the batch is full or the window has passed. */
async function fillBatch(
  messages: Message[],
  settings: PollerSettings,
  calls: QueueCalls,
  running: () => boolean,
): Promise<void> {
  const deadline = Date.now() + settings.batchingWindowMs;
  // A disable ends the window at once: what was gathered goes back to the queue.
  while (running() && messages.length < settings.batchSize) {
    const left = deadline - Date.now();
    if (left <= 0) return;
    let more: Message[];
    try {
      more = await calls.receiveMany(
        settings.batchSize - messages.length,
        Math.min(settings.waitTimeSeconds, Math.floor(left / 1000)),
      );
    } catch (error) {
      settings.onError(error);
      return;
    }
    messages.push(...more);
    if (more.length === 0) await sleep(Math.min(emptyPollPauseMs, Math.max(0, deadline - Date.now())));
  }
}

/** The poller's SQS calls: receives side by side, batch deletes, and releases back to the queue. */
function queueCalls(sqs: SQSClient, queueUrl: string, onError: (error: unknown) => void) {
  const receive = async (maxMessages: number, waitSeconds: number): Promise<Message[]> => {
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(10, maxMessages),
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ["All"],
        MessageAttributeNames: ["All"],
      }),
    );
    return received.Messages ?? [];
  };
  return {
    /** Deletes processed messages, 10 to a request (the batch APIs' limit), the requests side by side. */
    async remove(records: SQSRecord[]): Promise<void> {
      await Promise.all(
        chunks(records, 10).map(async (chunk) => {
          const result = await sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: queueUrl,
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
    },
    async release(messages: Message[]): Promise<void> {
      for (const chunk of chunks(messages, 10)) {
        try {
          await sqs.send(
            new ChangeMessageVisibilityBatchCommand({
              QueueUrl: queueUrl,
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
    },
    /**
     * Up to `maxMessages` with receives side by side (one returns at most 10), as Lambda's pollers do. Messages
     * that came are kept even when another receive failed; it fails only when every receive did.
     */
    async receiveMany(maxMessages: number, waitSeconds: number): Promise<Message[]> {
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
    },
  };
}

async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }),
  );
  if (!Attributes?.QueueArn) throw new Error(`no QueueArn for ${queueUrl}`);
  return Attributes.QueueArn;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, index) =>
    items.slice(index * size, (index + 1) * size),
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
