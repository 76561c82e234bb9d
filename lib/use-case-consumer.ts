/**
 * One use-case's consumer: its queue, its own dead-letter queue, its function and the SQS event source.
 * Secure by default (encrypted queues, HTTPS-only queue policies) and validated early: a bad prop fails synth
 * naming the prop.
 */
import { Duration } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import type { Consumer } from "../functions/shared/contract/consumers.ts";
import { tagResource } from "./metadata.ts";
import { ServiceFunction } from "./service-function.ts";

/**
 * SQS's largest message (1 MiB), set explicitly: a queue created before SQS raised its default keeps 256 KiB,
 * and the ingress, the pipeline's requeue and the dead-lettering all pass a webhook on whole.
 */
export const sqsMaxMessageSizeBytes = 1_048_576;

export interface UseCaseConsumerProps {
  /** A webhook use-case, or the article reconcile's worker. */
  readonly useCase: Consumer;
  /** Absolute path of the consumer's TypeScript entry (exports `handler`). */
  readonly entry: string;
  /**
   * The function's environment, given the dead-letter queue (the pipeline dead-letters permanent failures itself)
   * and the queue.
   */
  readonly environment: (
    deadLetterQueue: sqs.IQueue,
    queue: sqs.IQueue,
  ) => Readonly<Record<string, string | undefined>>;
  /** JSON files bundled beside the handler (see ServiceFunction). @default none */
  readonly bundledFiles?: Readonly<Record<string, unknown>>;
  /** Off: the queue still receives webhooks, but no event source mapping consumes it. @default true */
  readonly enabled?: boolean;
  /** Messages per invocation (1–10000; above 10 the batching window is at least one second). @default 10 */
  readonly batchSize?: number;
  /**
   * Seconds the event source gathers messages before invoking (0–300). AWS requires at least 1 when `batchSize`
   * is over 10, so a smaller value is raised to 1 there. @default 0
   */
  readonly batchingWindowSeconds?: number;
  /** Most concurrent invocations by the event source (2–1000). @default 2 */
  readonly maxConcurrency?: number;
  /** Receives before SQS moves a message to the dead-letter queue (1–1000). @default 8 */
  readonly maxReceiveCount?: number;
  /** Function time-out; the queue's visibility time-out is six times this. @default 60 */
  readonly timeoutSeconds?: number;
  /** @default 512 */
  readonly memoryMb?: number;
  /** Customer-managed key for both queues. @default SQS-managed encryption (SSE-SQS) */
  readonly encryptionKey?: kms.IKey;
  /** X-Ray active tracing. @default false */
  readonly tracing?: boolean;
  /** Retention of the function's log group. @default 30 */
  readonly logRetentionDays?: number;
}

/** AWS's guidance for SQS-triggered functions: visibility time-out at least six times the function time-out. */
export const visibilityTimeoutFactor = 6;

function requireRange(path: string, prop: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${path}: ${prop} must be a whole number ${min}–${max}, got ${value}`);
  }
  return value;
}

export class UseCaseConsumer extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly function: ServiceFunction;
  /** The event source mapping, unless the use-case is disabled. */
  readonly eventSource: SqsEventSource | undefined;

  constructor(scope: Construct, id: string, props: UseCaseConsumerProps) {
    super(scope, id);
    const path = this.node.path;
    const batchSize = requireRange(path, "batchSize", props.batchSize ?? 10, 1, 10_000);
    const maxConcurrency = requireRange(path, "maxConcurrency", props.maxConcurrency ?? 2, 2, 1000);
    const maxReceiveCount = requireRange(path, "maxReceiveCount", props.maxReceiveCount ?? 8, 1, 1000);
    const timeoutSeconds = requireRange(path, "timeoutSeconds", props.timeoutSeconds ?? 60, 1, 900);
    const batchingWindowSeconds = Math.max(
      requireRange(path, "batchingWindowSeconds", props.batchingWindowSeconds ?? 0, 0, 300),
      batchSize > 10 ? 1 : 0,
    );

    const encryption = props.encryptionKey
      ? { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: props.encryptionKey }
      : { encryption: sqs.QueueEncryption.SQS_MANAGED };

    this.deadLetterQueue = new sqs.Queue(this, "DeadLetterQueue", {
      ...encryption,
      enforceSSL: true,
      maxMessageSizeBytes: sqsMaxMessageSizeBytes,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, "Queue", {
      ...encryption,
      enforceSSL: true,
      maxMessageSizeBytes: sqsMaxMessageSizeBytes,
      // SQS's longest: webhooks waiting out a long outage (or a slow fix) must not expire before they are processed.
      retentionPeriod: Duration.days(14),
      visibilityTimeout: Duration.seconds(timeoutSeconds * visibilityTimeoutFactor),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount },
    });

    this.function = new ServiceFunction(this, "Consumer", {
      entry: props.entry,
      serviceName: props.useCase,
      environment: props.environment(this.deadLetterQueue, this.queue),
      ...(props.bundledFiles ? { bundledFiles: props.bundledFiles } : {}),
      timeoutSeconds,
      memoryMb: props.memoryMb ?? 512,
      tracing: props.tracing ?? false,
      logRetentionDays: props.logRetentionDays ?? 30,
      description: `Consumes the ${props.useCase} queue`,
    });
    const fn = this.function.function;
    this.deadLetterQueue.grantSendMessages(fn);
    // The pipeline delays a transient failure's retry by changing the message's visibility, and requeues a
    // message that waits for a dependency's breaker as a new one (its receives so far not counted).
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ["sqs:ChangeMessageVisibility"], resources: [this.queue.queueArn] }),
    );
    this.queue.grantSendMessages(fn);

    if (props.enabled ?? true) {
      this.eventSource = new SqsEventSource(this.queue, {
        batchSize,
        maxConcurrency,
        reportBatchItemFailures: true,
        ...(batchingWindowSeconds > 0 ? { maxBatchingWindow: Duration.seconds(batchingWindowSeconds) } : {}),
      });
      fn.addEventSource(this.eventSource);
    }

    tagResource(this.queue, { kind: "queue", useCase: props.useCase });
    tagResource(this.deadLetterQueue, { kind: "deadLetterQueue", useCase: props.useCase });
    tagResource(fn, { kind: "consumer", useCase: props.useCase });
  }
}
