/**
 * The harness every use-case integration test builds on. It starts real local implementations over loopback —
 * DynamoDB (dynalite), SQS and S3 (fauxqs), the Secrets Manager stand-in and, when asked, SES — creates the
 * stack's tables, its documents bucket and the use-case's queue with its dead-letter queue (RedrivePolicy), and
 * points the functions at them through the environment (vi.stubEnv).
 *
 * The AWS clients read their endpoints from the environment (the SDK's `AWS_ENDPOINT_URL_<SERVICE>`), so import the
 * handler module AFTER `startHarness` resolved, with a dynamic import, and use one harness per test file:
 *
 *   let harness: Harness;
 *   let handler: Handler<SQSEvent, SQSBatchResponse>;
 *   beforeAll(async () =>, { *     harness = await startHarness({ useCase: "article-sync", secrets: { "ongoing/credentials": "{…}" } });
 *     ({ handler } = await import("../functions/article-sync/index.ts"));
 *   });
 *   afterAll(() => harness.stop());
 *
 *   await harness.send(payload, "article-updated");
 *   await harness.run(handler);                        // until the queue is drained, retries included
 *   expect(await harness.deadLetters()).toEqual([]);
 *   expect(harness.metricCount("Processed")).toBe(1);
 */
import { randomUUID } from "node:crypto";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import type { Handler, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { vi } from "vitest";
import { createStackTables, localCredentials } from "../../devkit/tables.ts";
import { queueDepth } from "../../functions/shared/aws/sqs.ts";
import type { Consumer } from "../../functions/shared/contract/consumers.ts";
import { type EventType, messageAttributes } from "../../functions/shared/contract/routes.ts";
import { type Emulator, type StoredMail, startDynamoDb, startSes, startSqs } from "../../local/emulators.ts";
import { startSqsPoller } from "../../local/sqs-poller.ts";
import { type SecretsManagerStandIn, startSecretsManager } from "../../simulators/secrets-manager/server.ts";
export interface HarnessOptions {
  readonly useCase: Consumer;
  /** The queue's RedrivePolicy maxReceiveCount, and the pipeline's MAX_RECEIVE_COUNT. @default 3 */
  readonly maxReceiveCount?: number;
  /** Secrets the Secrets Manager stand-in serves (name → string value); more with `harness.secrets.put`. */
  readonly secrets?: Record<string, string>;
  /** More environment for the function (e.g. ONGOING_BASE_URL); wins over the harness's own values. */
  readonly env?: Record<string, string>;
  /** Start the SES emulator and point AWS_ENDPOINT_URL_SES at it. @default false */
  readonly ses?: boolean;
  /** The source queue's visibility timeout (what a batch that threw waits before returning). @default 30 */
  readonly visibilityTimeoutSeconds?: number;
}

/** A message found on the dead-letter queue: the original body and every attribute as a string. */
export interface DeadLetter {
  readonly body: string;
  readonly attributes: Record<string, string>;
}

/** One metric value the functions emitted (CloudWatch EMF), with its dimensions. */
export interface EmittedMetric {
  readonly name: string;
  readonly value: number;
  readonly dimensions: Record<string, string>;
}

export interface RunOptions {
  /** Only "drained": no message visible, in flight or held back for a retry, and no batch in flight. */
  readonly until?: "drained";
  /** @default 10 */
  readonly batchSize?: number;
  /** @default 1 */
  readonly maxConcurrency?: number;
  /** @default 30000 */
  readonly functionTimeoutMs?: number;
  /** Another queue than the harness's own (one made with `addQueue`). */
  readonly queueUrl?: string;
}

export interface Harness {
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  /** Names of the state and articles tables. */
  readonly tables: { readonly state: string; readonly articles: string };
  /** The documents bucket (labels) and a client for the local S3 it is in. */
  readonly documents: { readonly bucket: string; readonly s3: S3Client };
  readonly endpoints: {
    readonly dynamoDb: string;
    readonly sqs: string;
    readonly secretsManager: string;
    readonly ses: string | undefined;
  };
  /** The Secrets Manager stand-in, to add or rotate secrets. */
  readonly secrets: SecretsManagerStandIn;
  /** A client for the local SQS, for checks the helpers do not cover. */
  readonly sqs: SQSClient;
  /**
   * Enqueues a webhook as the ingress does: the body is the payload's exact JSON (a string is sent as is, to
   * test unparsable bodies); attributes eventType, apiRequestId (a fresh id), receivedAt (epoch ms), then
   * `attrs`. Returns the message id.
   */
  send(
    payload: unknown,
    eventType: EventType | (string & {}),
    attrs?: Record<string, string>,
    queueUrl?: string,
  ): Promise<string>;
  /** Another queue with its own dead-letter queue, redriven like the harness's (a second consumer in one test). */
  addQueue(name: string): Promise<{ queueUrl: string; deadLetterQueueUrl: string }>;
  /** Runs the handler as Lambda's SQS event source does (local/sqs-poller.ts) until the queue is drained. */
  run(handler: Handler<SQSEvent, SQSBatchResponse>, options?: RunOptions): Promise<void>;
  /** Takes every message off the dead-letter queue (a second call sees only newer ones). */
  deadLetters(): Promise<DeadLetter[]>;
  /** Visible + in-flight + delayed messages on the source queue. */
  queueDepth(): Promise<number>;
  /** Every metric emitted since the harness started (EMF lines on stdout are captured, not printed). */
  metrics(): EmittedMetric[];
  /** The sum of a metric, over the values whose dimensions include `dimensions`. */
  metricCount(name: string, dimensions?: Record<string, string>): number;
  /** Mails SES accepted (only with `ses: true`). */
  mails(): Promise<StoredMail[]>;
  /** Stops every server, restores stdout and the environment. */
  stop(): Promise<void>;
}

export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const { useCase } = options;
  const maxReceiveCount = options.maxReceiveCount ?? 3;
  const dynamoDb = await startDynamoDb();
  const sqsEmulator = await startSqs();
  const secrets = await startSecretsManager(options.secrets ?? {});
  const ses = options.ses ? await startSes() : undefined;
  const emulators: Emulator[] = [dynamoDb, sqsEmulator, secrets, ...(ses ? [ses] : [])];

  const tables = await createStackTables(dynamoDb.endpoint, `test-${useCase}`);
  const sqs = new SQSClient({
    endpoint: sqsEmulator.endpoint,
    region: "eu-west-1",
    credentials: localCredentials,
    useQueueUrlAsEndpoint: false,
  });
  const s3 = new S3Client({
    endpoint: sqsEmulator.endpoint,
    region: "eu-west-1",
    credentials: localCredentials,
    forcePathStyle: true,
  });
  const documentsBucket = `test-${useCase}-documents`;
  await s3.send(new CreateBucketCommand({ Bucket: documentsBucket }));
  const addQueue = async (name: string) => {
    const deadLetterQueueUrl = await createQueue(sqs, `${name}-dlq`, {});
    const deadLetterQueueArn = await attribute(sqs, deadLetterQueueUrl, "QueueArn");
    const queueUrl = await createQueue(sqs, name, {
      VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 30),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterQueueArn, maxReceiveCount }),
    });
    return { queueUrl, deadLetterQueueUrl };
  };
  const { queueUrl, deadLetterQueueUrl } = await addQueue(useCase);

  const env: Record<string, string> = {
    AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoDb.endpoint,
    AWS_ENDPOINT_URL_SQS: sqsEmulator.endpoint,
    AWS_ENDPOINT_URL_S3: sqsEmulator.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    ...(ses ? { AWS_ENDPOINT_URL_SES: ses.endpoint } : {}),
    USE_CASE: useCase,
    STATE_TABLE_NAME: tables.state,
    ARTICLES_TABLE_NAME: tables.articles,
    DOCUMENTS_BUCKET_NAME: documentsBucket,
    DEAD_LETTER_QUEUE_URL: deadLetterQueueUrl,
    MAX_RECEIVE_COUNT: String(maxReceiveCount),
    // Retries come back at once, so tests do not wait on backoff (the backoff curve has its own tests).
    RETRY_BASE_DELAY_SECONDS: "0",
    ...options.env,
  };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);

  const emitted = captureMetrics();

  return {
    queueUrl,
    deadLetterQueueUrl,
    tables,
    documents: { bucket: documentsBucket, s3 },
    endpoints: {
      dynamoDb: dynamoDb.endpoint,
      sqs: sqsEmulator.endpoint,
      secretsManager: secrets.endpoint,
      ses: ses?.endpoint,
    },
    secrets,
    sqs,
    addQueue,
    send: (payload, eventType, attrs = {}, toQueueUrl = queueUrl) =>
      enqueue(sqs, toQueueUrl, payload, eventType, attrs),
    async run(handler, runOptions = {}) {
      const poller = await startSqsPoller({
        queueUrl: runOptions.queueUrl ?? queueUrl,
        handler,
        sqsClient: sqs,
        batchSize: runOptions.batchSize ?? 10,
        maxConcurrency: runOptions.maxConcurrency ?? 1,
        functionTimeoutMs: runOptions.functionTimeoutMs ?? 30_000,
        functionName: useCase,
        waitTimeSeconds: 0,
        onError: () => undefined,
      });
      try {
        await poller.idle();
      } finally {
        await poller.stop();
      }
    },
    deadLetters: () => takeDeadLetters(sqs, deadLetterQueueUrl),
    queueDepth: () => queueDepth(sqs, queueUrl),
    metrics: () => [...emitted.metrics],
    metricCount(name, dimensions = {}) {
      return emitted.metrics
        .filter((metric) => metric.name === name)
        .filter((metric) =>
          Object.entries(dimensions).every(([key, value]) => metric.dimensions[key] === value),
        )
        .reduce((sum, metric) => sum + metric.value, 0);
    },
    async mails() {
      if (!ses) throw new Error("start the harness with ses: true to read mails");
      return ses.mails();
    },
    async stop() {
      emitted.restore();
      vi.unstubAllEnvs();
      sqs.destroy();
      s3.destroy();
      await Promise.all(emulators.map((emulator) => emulator.stop()));
    },
  };
}

/** Enqueues a webhook as the ingress does (see `Harness.send`). */
async function enqueue(
  sqs: SQSClient,
  toQueueUrl: string,
  payload: unknown,
  eventType: string,
  attrs: Record<string, string>,
): Promise<string> {
  const attributes: Record<string, string> = {
    [messageAttributes.eventType]: eventType,
    [messageAttributes.requestId]: randomUUID(),
    [messageAttributes.receivedAt]: String(Date.now()),
    ...attrs,
  };
  const sent = await sqs.send(
    new SendMessageCommand({
      QueueUrl: toQueueUrl,
      MessageBody: typeof payload === "string" ? payload : JSON.stringify(payload),
      MessageAttributes: Object.fromEntries(
        Object.entries(attributes).map(([name, value]): [string, MessageAttributeValue] => [
          name,
          { DataType: "String", StringValue: value },
        ]),
      ),
    }),
  );
  return sent.MessageId ?? "";
}

/** Takes every message off a dead-letter queue. */
async function takeDeadLetters(sqs: SQSClient, deadLetterQueueUrl: string): Promise<DeadLetter[]> {
  const letters: DeadLetter[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: deadLetterQueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ["All"],
      }),
    );
    if (Messages.length === 0) return letters;
    for (const message of Messages) {
      letters.push({
        body: message.Body ?? "",
        attributes: Object.fromEntries(
          Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
            name,
            value.StringValue ?? "",
          ]),
        ),
      });
    }
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: deadLetterQueueUrl,
        Entries: Messages.map((message, index) => ({
          Id: String(index),
          ReceiptHandle: message.ReceiptHandle,
        })),
      }),
    );
  }
}

async function createQueue(
  sqs: SQSClient,
  name: string,
  attributes: Record<string, string>,
): Promise<string> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (!QueueUrl) throw new Error(`queue ${name} was not created`);
  return QueueUrl;
}

async function attribute(sqs: SQSClient, queueUrl: string, name: "QueueArn"): Promise<string> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: [name] }),
  );
  const value = Attributes?.[name];
  if (!value) throw new Error(`no ${name} for ${queueUrl}`);
  return value;
}

/**
 * Powertools Metrics writes each EMF blob as one JSON line on stdout; the harness reads those lines instead of
 * printing them, so tests can count what the functions reported.
 */
function captureMetrics(): { metrics: EmittedMetric[]; restore(): void } {
  const metrics: EmittedMetric[] = [];
  const stdout = process.stdout;
  const write = stdout.write;
  stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
    const text = typeof chunk === "string" ? chunk : Buffer.isBuffer(chunk) ? chunk.toString("utf8") : "";
    if (!text.includes('"_aws"'))
      return (write as (...args: unknown[]) => boolean).call(stdout, chunk, ...rest);
    for (const line of text.split("\n").filter(Boolean)) metrics.push(...readEmf(line));
    const callback = rest.find((arg) => typeof arg === "function") as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof stdout.write;
  return {
    metrics,
    restore() {
      stdout.write = write;
    },
  };
}

function readEmf(line: string): EmittedMetric[] {
  let blob: Record<string, unknown>;
  try {
    blob = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return [];
  }
  const directives =
    (blob._aws as { CloudWatchMetrics?: Array<{ Dimensions: string[][]; Metrics: Array<{ Name: string }> }> })
      ?.CloudWatchMetrics ?? [];
  const result: EmittedMetric[] = [];
  for (const directive of directives) {
    const dimensionNames = directive.Dimensions.flat();
    const dimensions = Object.fromEntries(dimensionNames.map((name) => [name, String(blob[name])]));
    for (const { Name } of directive.Metrics) {
      const raw = blob[Name];
      const values = Array.isArray(raw) ? raw : [raw];
      for (const value of values) result.push({ name: Name, value: Number(value), dimensions });
    }
  }
  return result;
}
