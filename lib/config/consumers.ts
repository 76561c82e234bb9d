/** The consumers' settings: each use-case's queue and function, the scheduled reconcile, the circuit breakers. */
import * as z from "zod";
import { useCases } from "../../functions/shared/contract/routes.ts";

const useCaseSettings = z.strictObject({
  /** Off: the route still accepts and queues webhooks, but no function consumes them. @default true */
  enabled: z.boolean().default(true),
  /**
   * SQS messages per invocation; a batch's records run 10 at a time, so this does not raise the load on Ongoing.
   * @default 10 (article-sync: 100)
   */
  batchSize: z.number().int().min(1).max(100).default(10),
  /** Most concurrent invocations (SQS event-source maximum concurrency), to protect Ongoing's API. @default 2 */
  maxConcurrency: z.number().int().min(2).max(1000).default(2),
  /**
   * Receives before a message is dead-lettered as exhausted. Receives spent waiting for a dependency whose
   * circuit breaker is open are not counted. @default 8
   */
  maxReceiveCount: z.number().int().min(1).max(1000).default(8),
  /**
   * First retry delay of a transiently failed message; it doubles with each receive (with jitter, at most 12 hours).
   * The worst case of all retries together must fit in the queue's retention (14 days). @default 10
   */
  retryBaseDelaySeconds: z.number().int().min(0).max(43_200).default(10),
  /** Function time-out. @default 60 */
  timeoutSeconds: z.number().int().min(5).max(900).default(60),
  /** Function memory. @default 512 */
  memoryMb: z.number().int().min(128).max(10240).default(512),
  /**
   * Seconds the event source gathers messages before invoking (`MaximumBatchingWindowInSeconds`); at least 1
   * when `batchSize` is over 10, as AWS requires. @default 0 (article-sync: 1)
   */
  batchingWindowSeconds: z.number().int().min(0).max(300).default(0),
});

/**
 * Article-sync waits up to a second to fill a batch of up to 100: Ongoing posts a burst of repeated events for one
 * article, and the events in one batch share one fetch of the article. A large batch also keeps its 10 records in
 * flight busy through a burst, where batches of 10 would each wait for their slowest record.
 */
const articleSyncSettings = useCaseSettings.extend({
  batchSize: z.number().int().min(1).max(100).default(100),
  batchingWindowSeconds: z.number().int().min(0).max(300).default(1),
});
const useCaseSchemaOf = (name: (typeof useCases)[number]) =>
  name === "article-sync" ? articleSyncSettings : useCaseSettings;

/** Per-use-case consumer settings. @default see each field */
export const useCasesConfig = z
  .strictObject(
    Object.fromEntries(
      useCases.map((name) => [name, useCaseSchemaOf(name).default(useCaseSchemaOf(name).parse({}))]),
    ) as {
      [K in (typeof useCases)[number]]: z.ZodDefault<typeof useCaseSettings>;
    },
  )
  .default(Object.fromEntries(useCases.map((name) => [name, useCaseSchemaOf(name).parse({})])) as never);

export const articleReconcileConfig = z
  .strictObject({
    /** Run the scheduled incremental reconcile. @default true */
    enabled: z.boolean().default(true),
    /** Minutes between incremental reconciles. @default 60 */
    rateMinutes: z.number().int().min(1).max(1440).default(60),
    /** Goods owners whose articles are mirrored and reconciled. @default [] (none reconciled) */
    goodsOwnerIds: z.array(z.number().int().positive()).default([]),
    /** Goods owners reconciled at once (the worker's event-source maximum concurrency). @default 2 */
    maxConcurrency: z.number().int().min(2).max(1000).default(2),
    /** Receives of one unit of work (one goods owner's slice) before it is dead-lettered. @default 5 */
    maxReceiveCount: z.number().int().min(1).max(1000).default(5),
    /**
     * The worker's time-out; a unit stops a minute before it, saves its place and queues its continuation.
     * @default 900
     */
    timeoutSeconds: z.number().int().min(120).max(900).default(900),
    /** Articles per Ongoing request (`maxArticlesToGet`). @default 500 */
    pageSize: z.number().int().min(1).max(10_000).default(500),
    /**
     * Days between scheduled full reconciles of every goods owner (they find articles deleted without a
     * webhook). @default none: full reconciles on demand only
     */
    fullRateDays: z.number().int().min(1).max(365).optional(),
  })
  .default({
    enabled: true,
    rateMinutes: 60,
    goodsOwnerIds: [],
    maxConcurrency: 2,
    maxReceiveCount: 5,
    timeoutSeconds: 900,
    pageSize: 500,
  });

/** The circuit breakers per dependency (`breaker` in schema.ts). */
export const breakerConfig = z
  .strictObject({
    /** @default true */
    enabled: z.boolean().default(true),
    /** Records in a row failing on a dependency (in one consumer container) that open its breaker. @default 5 */
    failureThreshold: z.number().int().min(1).max(1000).default(5),
    /** Minutes between probes of an open breaker (the schedule's rate). @default 1 */
    probeIntervalMinutes: z.number().int().min(1).max(60).default(1),
    /** Records a half-open breaker lets through before the rest follow. @default 3 */
    trialRecords: z.number().int().min(1).max(100).default(3),
  })
  .default({ enabled: true, failureThreshold: 5, probeIntervalMinutes: 1, trialRecords: 3 });
