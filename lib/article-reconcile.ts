/**
 * The article reconcile at catalogue scale: a dispatcher on a schedule queues one unit of work per goods owner,
 * and a worker consumes them (a use-case consumer: its own queue, dead-letter queue and retries). A unit that
 * nears the worker's time-out saves its place in the state table and queues its continuation, so no run dies
 * with nothing recorded, and one goods owner failing neither stops nor repeats the others.
 */
import { Duration } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { tagResource } from "./metadata.ts";
import { ServiceFunction } from "./service-function.ts";
import { UseCaseConsumer } from "./use-case-consumer.ts";

export interface ArticleReconcileProps {
  /** Absolute paths of the dispatcher's and the worker's TypeScript entries (each exports `handler`). */
  readonly dispatcherEntry: string;
  readonly workerEntry: string;
  /** The dispatcher's environment, given the queue of units. */
  readonly dispatcherEnvironment: (queue: sqs.IQueue) => Readonly<Record<string, string | undefined>>;
  /** The worker's environment, given its dead-letter queue and its queue (for continuations). */
  readonly workerEnvironment: (
    deadLetterQueue: sqs.IQueue,
    queue: sqs.IQueue,
  ) => Readonly<Record<string, string | undefined>>;
  /** JSON files bundled beside the dispatcher's handler (the goods owners it queues). @default none */
  readonly dispatcherBundledFiles?: Readonly<Record<string, unknown>>;
  /** JSON files bundled beside the worker's handler (the goods owners' settings). @default none */
  readonly workerBundledFiles?: Readonly<Record<string, unknown>>;
  /** Minutes between scheduled (incremental) runs. @default 60 */
  readonly rateMinutes?: number;
  /** Run on the schedule. @default true */
  readonly scheduleEnabled?: boolean;
  /** Days between scheduled full runs of every goods owner. @default none (on demand only) */
  readonly fullRateDays?: number;
  /** Goods owners reconciled at once. @default 2 */
  readonly maxConcurrency?: number;
  /** Receives of one unit before it is dead-lettered. @default 5 */
  readonly maxReceiveCount?: number;
  /** The worker's time-out. @default 900 */
  readonly timeoutSeconds?: number;
  /** X-Ray active tracing. @default false */
  readonly tracing?: boolean;
  /** Retention of the functions' log groups. @default 30 */
  readonly logRetentionDays?: number;
}

export class ArticleReconcile extends Construct {
  readonly dispatcher: ServiceFunction;
  readonly worker: UseCaseConsumer;
  readonly schedule: events.Rule;
  readonly fullSchedule: events.Rule | undefined;

  constructor(scope: Construct, id: string, props: ArticleReconcileProps) {
    super(scope, id);
    this.worker = new UseCaseConsumer(this, "Worker", {
      useCase: "article-reconcile",
      entry: props.workerEntry,
      environment: props.workerEnvironment,
      ...(props.workerBundledFiles ? { bundledFiles: props.workerBundledFiles } : {}),
      // One goods owner per invocation: each has the whole time-out, and fails or continues on its own.
      batchSize: 1,
      maxConcurrency: props.maxConcurrency ?? 2,
      maxReceiveCount: props.maxReceiveCount ?? 5,
      timeoutSeconds: props.timeoutSeconds ?? 900,
      memoryMb: 512,
      tracing: props.tracing ?? false,
      logRetentionDays: props.logRetentionDays ?? 30,
    });
    const workerFunction = this.worker.function.function;
    // A unit that runs out of time queues its own continuation.
    this.worker.queue.grantSendMessages(workerFunction);

    this.dispatcher = new ServiceFunction(this, "Dispatcher", {
      entry: props.dispatcherEntry,
      serviceName: "article-reconcile",
      environment: props.dispatcherEnvironment(this.worker.queue),
      ...(props.dispatcherBundledFiles ? { bundledFiles: props.dispatcherBundledFiles } : {}),
      timeoutSeconds: 60,
      memoryMb: 256,
      tracing: props.tracing ?? false,
      logRetentionDays: props.logRetentionDays ?? 30,
      description: "Queues the article reconcile: one unit of work per goods owner",
    });
    this.worker.queue.grantSendMessages(this.dispatcher.function);
    // Lambda retries a failed asynchronous invocation twice by default; the next tick runs it again anyway.
    this.dispatcher.function.configureAsyncInvoke({ retryAttempts: 0 });
    this.schedule = new events.Rule(this, "Schedule", {
      description: "Runs the incremental article reconcile",
      schedule: events.Schedule.rate(Duration.minutes(props.rateMinutes ?? 60)),
      enabled: props.scheduleEnabled ?? true,
      targets: [new targets.LambdaFunction(this.dispatcher.function, { retryAttempts: 0 })],
    });
    if (props.fullRateDays !== undefined) {
      this.fullSchedule = new events.Rule(this, "FullSchedule", {
        description: "Runs the full article reconcile of every goods owner",
        schedule: events.Schedule.rate(Duration.days(props.fullRateDays)),
        enabled: props.scheduleEnabled ?? true,
        targets: [
          new targets.LambdaFunction(this.dispatcher.function, {
            retryAttempts: 0,
            event: events.RuleTargetInput.fromObject({ mode: "full" }),
          }),
        ],
      });
    }
    tagResource(this.dispatcher.function, { kind: "reconcile" });
  }
}
