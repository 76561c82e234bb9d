/**
 * The local pipeline as the benchmark, the load test and the chaos runs use it: `startLocalStack` on free ports
 * (the synthesized template, each function's bundle in its own process), with SES behind a fault proxy and every
 * function's log line scanned for personal data as it is written.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { ChangeMessageVisibilityBatchCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { type UseCase, useCases } from "../functions/shared/contract/routes.ts";
import { type LocalStack, startLocalStack } from "../local/stack.ts";
import { projectRoot, synthesize } from "../local/synth.ts";
import { metadataOf, resourcesOfType } from "../local/template.ts";
import {
  type FaultProxy,
  isSendEmail,
  sendEmailRecipient,
  sesAnswers,
  startFaultProxy,
} from "./fault-proxy.ts";
import { OngoingAdmin, type OngoingProcess, personalDataPattern, startOngoingProcess } from "./ongoing.ts";

const localCredentials = { accessKeyId: "local", secretAccessKey: "local" };

/** The personal-data scan of every log line the functions wrote. */
export class LogScan {
  lines = 0;
  readonly leaks: { functionName: string; line: string }[] = [];
  readonly errors: { functionName: string; line: string }[] = [];

  readonly sink = (functionName: string, line: string): void => {
    this.lines += 1;
    if (personalDataPattern.test(line) && this.leaks.length < 20) this.leaks.push({ functionName, line });
    if (/"level":"(ERROR|CRITICAL)"/.test(line) && this.errors.length < 20)
      this.errors.push({ functionName, line });
  };
}

/** An article mirror item, as far as the runs look at it. */
export interface MirrorEntry {
  /** When it was last written (epoch ms). */
  readonly syncedAt: number;
  readonly deleted: boolean;
  /** Writes so far (the item's optimistic-lock revision). */
  readonly revision: number;
  readonly articleName?: string;
}

export interface PipelineOptions {
  /** Where to synthesize the assembly. @default `.local/bench-cdk.out` */
  readonly assemblyDir?: string;
  /** Reuse the assembly already in `assemblyDir` instead of synthesizing. @default false */
  readonly reuseAssembly?: boolean;
  /** Each consumer's maximum concurrency (the event source's). @default the configuration's */
  readonly maxConcurrency?: number;
  /** Receives before a webhook is dead-lettered. @default the configuration's */
  readonly maxReceiveCount?: number;
  /** More CDK context (`ongoingWebhooks.<path>` overrides), e.g. a shorter Ongoing request time-out. */
  readonly context?: Record<string, unknown>;
  /** Extra environment for every function. */
  readonly functionEnvironment?: Record<string, string>;
  /** Run the consumers. @default true */
  readonly consumers?: boolean;
  /**
   * Run the breaker probe this often (compressed time; see LocalStackOptions): an open breaker stays open until
   * the probe finds its dependency answering. @default 2000
   */
  readonly probeIntervalMs?: number;
  /**
   * Run the Ongoing simulator in a process of its own, off the local services' event loop, as Ongoing's servers
   * are not on the consumer's machine either: its answers then take the set latency, not that plus a wait for
   * the emulators' turn. @default false (in the local services' process, as `npm start` runs it)
   */
  readonly ongoingProcess?: boolean;
  /**
   * The functions' log level. DEBUG puts every line a function can write under the personal-data scan (the fault
   * and load runs); the benchmark measures the deployed level (`undefined`: the template's). @default "DEBUG"
   */
  readonly logLevel?: string | undefined;
}

export interface Pipeline {
  readonly stack: LocalStack;
  readonly ongoing: OngoingAdmin;
  /** SES behind the fault proxy: its `calls` are the mails SES accepted, with the time it answered. */
  readonly ses: FaultProxy;
  readonly logs: LogScan;
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
  /** The consumers' settings as the template has them. */
  readonly consumers: Record<UseCase, { maxConcurrency: number; batchSize: number; maxReceiveCount: number }>;
  /** The SES sending rate the mail function paces itself to (all invocations together), from the template. */
  readonly sesMaxSendRate: number | undefined;
  /** When SES accepted a mail, per recipient (every accepted mail, so duplicates show). */
  mailsAccepted(): Map<string, number[]>;
  /** The article mirror's items: articleSystemId → when it was last written and whether it is a tombstone. */
  mirror(): Promise<Map<number, MirrorEntry>>;
  /** Everything on a use-case's dead-letter queue (read, left in place). */
  deadLetters(useCase: UseCase): Promise<{ body: string; attributes: Record<string, string> }[]>;
  stop(): Promise<void>;
}

export const defaultAssemblyDir = join(projectRoot, ".local", "bench-cdk.out");

/** The webhook use-cases' consumers as the synthesized template sets them (batch size, concurrency, receives). */
function consumersOf(stack: LocalStack): Pipeline["consumers"] {
  const { template } = stack.assembly;
  const consumers = {} as Pipeline["consumers"];
  for (const [, mapping] of resourcesOfType(template, "AWS::Lambda::EventSourceMapping")) {
    const queueId = JSON.stringify(mapping.Properties?.EventSourceArn).match(/"Fn::GetAtt":\["([^"]+)"/)?.[1];
    const queue = queueId ? template.Resources[queueId] : undefined;
    const useCase = queue ? metadataOf(queue)?.useCase : undefined;
    // The webhook use-cases; the reconcile's units are benchmarked on their own (bench/reconcile.ts).
    if (!useCase || useCase === "article-reconcile") continue;
    const properties = mapping.Properties as {
      BatchSize?: number;
      ScalingConfig?: { MaximumConcurrency?: number };
    };
    consumers[useCase] = {
      maxConcurrency: Number(properties.ScalingConfig?.MaximumConcurrency ?? 2),
      batchSize: Number(properties.BatchSize ?? 10),
      maxReceiveCount: Number(stack.queues.find((q) => q.useCase === useCase)?.maxReceiveCount ?? 0),
    };
  }
  return consumers;
}

/** The stack's SES sending rate: each mail consumer's per-invocation rate times their concurrency. */
function sesMaxSendRateOf(stack: LocalStack, consumers: Pipeline["consumers"]): number | undefined {
  const perInvocation = resourcesOfType(stack.assembly.template, "AWS::Lambda::Function")
    .map(([, fn]) => fn.Properties as { Environment?: { Variables?: Record<string, unknown> } } | undefined)
    .map((properties) => properties?.Environment?.Variables?.SES_SEND_RATE_PER_INVOCATION)
    .find((value) => value !== undefined);
  const mailConsumer = consumers["order-shipped-email"];
  return perInvocation !== undefined && mailConsumer
    ? Number(perInvocation) * mailConsumer.maxConcurrency
    : undefined;
}

export async function startPipeline(options: PipelineOptions = {}): Promise<Pipeline> {
  const assemblyDir = options.assemblyDir ?? defaultAssemblyDir;
  const context: Record<string, unknown> = { ...options.context };
  for (const useCase of useCases) {
    if (options.maxConcurrency !== undefined)
      context[`ongoingWebhooks.useCases.${useCase}.maxConcurrency`] = options.maxConcurrency;
    if (options.maxReceiveCount !== undefined)
      context[`ongoingWebhooks.useCases.${useCase}.maxReceiveCount`] = options.maxReceiveCount;
  }
  if (!options.reuseAssembly) {
    mkdirSync(assemblyDir, { recursive: true });
    await synthesize({ outdir: assemblyDir, context });
  }
  const ses = await startFaultProxy({ record: isSendEmail, throttleAnswer: sesAnswers.throttling });
  const logs = new LogScan();
  const logLevel = "logLevel" in options ? options.logLevel : "DEBUG";
  let ongoingProcess: OngoingProcess | undefined;
  let stack: LocalStack;
  try {
    if (options.ongoingProcess) ongoingProcess = await startOngoingProcess();
    stack = await startLocalStack({
      freePorts: true,
      ...(ongoingProcess
        ? {
            env: {
              ...process.env,
              ONGOING_BASE_URL: ongoingProcess.baseUrl,
              ONGOING_USERNAME: ongoingProcess.username,
              ONGOING_PASSWORD: ongoingProcess.password,
            },
          }
        : {}),
      assemblyDir,
      schedule: false,
      probeIntervalMs: options.probeIntervalMs ?? 2_000,
      log: logs.sink,
      ...(options.consumers === false ? { consumers: false } : {}),
      functionEnvironment: {
        AWS_ENDPOINT_URL_SES: ses.endpoint,
        AWS_ENDPOINT_URL_SESV2: ses.endpoint,
        ...(logLevel ? { POWERTOOLS_LOG_LEVEL: logLevel } : {}),
        ...options.functionEnvironment,
      },
    });
  } catch (error) {
    await ses.stop();
    await ongoingProcess?.stop();
    throw error;
  }
  ses.target = stack.urls.ses;
  const ongoingAdmin = ongoingProcess?.adminUrl ?? stack.urls.ongoingAdmin;
  if (!ongoingAdmin) throw new Error("the local stack runs no Ongoing simulator (ONGOING_BASE_URL is set)");

  const sqs = new SQSClient({ region: "eu-west-1", endpoint: stack.urls.sqs, credentials: localCredentials });
  const dynamodb = new DynamoDBClient({
    region: "eu-west-1",
    endpoint: stack.urls.dynamodb,
    credentials: localCredentials,
  });

  const consumers = consumersOf(stack);
  const sesMaxSendRate = sesMaxSendRateOf(stack, consumers);

  return {
    stack,
    ongoing: new OngoingAdmin(ongoingAdmin),
    ses,
    logs,
    sqs,
    dynamodb,
    consumers,
    sesMaxSendRate,
    mailsAccepted() {
      const accepted = new Map<string, number[]>();
      for (const call of ses.calls) {
        const recipient = sendEmailRecipient(call.body);
        if (call.status !== 200 || !recipient) continue;
        accepted.set(recipient, [...(accepted.get(recipient) ?? []), call.answeredAt]);
      }
      return accepted;
    },
    mirror: () => scanMirror(dynamodb, stack.tables.articles),
    deadLetters: (useCase) => peekDeadLetters(sqs, stack, useCase),
    async stop() {
      sqs.destroy();
      dynamodb.destroy();
      await stack.stop();
      await ses.stop();
      await ongoingProcess?.stop();
    },
  };
}

/** Stops the pipeline (and its function processes) on Ctrl-C or SIGTERM, so a run cut short leaves nothing running. */
/** The article mirror's items, by articleSystemId. */
async function scanMirror(dynamodb: DynamoDBClient, tableName: string): Promise<Map<number, MirrorEntry>> {
  const items = new Map<number, MirrorEntry>();
  let startKey: Record<string, never> | undefined;
  do {
    const page = await dynamodb.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey }));
    for (const item of page.Items ?? []) {
      const articleName = item.articleName?.S;
      items.set(Number(item.articleSystemId?.N), {
        syncedAt: Date.parse(String(item.deletedAt?.S ?? item.syncedAt?.S)),
        deleted: item.deleted?.BOOL === true,
        revision: Number(item.revision?.N ?? 0),
        ...(articleName ? { articleName } : {}),
      });
    }
    startKey = page.LastEvaluatedKey as Record<string, never> | undefined;
  } while (startKey);
  return items;
}

/** A use-case's dead letters, left on the queue (in sight again) for a later look. */
async function peekDeadLetters(
  sqs: SQSClient,
  stack: LocalStack,
  useCase: UseCase,
): Promise<{ body: string; attributes: Record<string, string> }[]> {
  const queue = stack.queues.find((candidate) => candidate.useCase === useCase);
  if (!queue?.deadLetterUrl) return [];
  const found: { body: string; attributes: Record<string, string> }[] = [];
  const handles: { Id: string; ReceiptHandle: string }[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queue.deadLetterUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 60,
        MessageAttributeNames: ["All"],
      }),
    );
    if (Messages.length === 0) break;
    for (const message of Messages) {
      found.push({
        body: String(message.Body),
        attributes: Object.fromEntries(
          Object.entries(message.MessageAttributes ?? {}).map(([key, value]) => [
            key,
            String(value.StringValue),
          ]),
        ),
      });
      handles.push({ Id: String(handles.length), ReceiptHandle: String(message.ReceiptHandle) });
    }
  }
  // Put them back in sight, so a later look finds them again.
  for (let index = 0; index < handles.length; index += 10) {
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queue.deadLetterUrl,
        Entries: handles.slice(index, index + 10).map((handle, offset) => ({
          ...handle,
          Id: String(offset),
          VisibilityTimeout: 0,
        })),
      }),
    );
  }
  return found;
}

export function stopOnSignal(pipeline: Pipeline): void {
  for (const signal of ["SIGINT", "SIGTERM"] as const)
    process.once(signal, () => void pipeline.stop().finally(() => process.exit(130)));
}
