/**
 * The consumer pipeline every use-case handler is wrapped in: SQS batch → parse → idempotency (unless the
 * use-case turns it off) → handle → outcome. It turns each record's outcome into the same things for every
 * use-case: a partial batch response, metrics, one log line for anything that is not plainly done, a
 * dead-lettered message with its reason, or a retry after a growing delay. A record that fails because a
 * dependency is down (see `../breaker/`) does not spend its retry budget: it waits, as a new message, for the
 * dependency's breaker to close.
 */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import type { Context, Handler, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import pLimit from "p-limit";
import type { z } from "zod";
import { type Admission, CircuitBreakers } from "../breaker/breakers.ts";
import { BreakerStore } from "../breaker/store.ts";
import type { Dependency } from "../contract/dependencies.ts";
import { messageAttributes, type EventType as WebhookEventType } from "../contract/routes.ts";
import { consumerSettingsSchema } from "../contract/settings.ts";
import { WaitError } from "../errors.ts";
import { settingsOf } from "../function-settings.ts";
import { dimensionedMetrics } from "../powertools/dimensioned-metrics.ts";
import { logger } from "../powertools/logger.ts";
import { metrics } from "../powertools/metrics.ts";
import { type RecordTrail, TrailWriter } from "../trail/writer.ts";
import { classify, countFailure } from "./failures.ts";
import { type Idempotent, idempotentHandler } from "./idempotency.ts";
import { type FailureClass, holdBack, requeue, sendToDeadLetterQueue } from "./queue.ts";
import { countedBefore, parseRecord, stringAttribute } from "./record.ts";
import { type Result, reportResult, trailNoteOf } from "./result.ts";
import { retryDelaySeconds } from "./retry.ts";
import type { HandlerContext, UseCaseDefinition, WebhookRecord } from "./types.ts";

type ConsumerSettings = z.output<typeof consumerSettingsSchema>;

const defaultMaxConcurrency = 10;

/** The Lambda handler of a use-case: `export const handler = createConsumer(definition)`. */
export function createConsumer<S extends z.ZodType, E extends string = WebhookEventType>(
  definition: UseCaseDefinition<S, E>,
): Handler<SQSEvent, SQSBatchResponse> {
  if (definition.idempotency === false && definition.idempotencyKey) {
    throw new Error(
      `${definition.useCase}: idempotencyKey has no effect with idempotency: false; remove one`,
    );
  }
  let pipeline: RecordPipeline<S, E> | undefined;

  const handleBatch = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    // Read once per container, on first use, so a bad setting fails the invocation loudly (and is retried).
    if (pipeline === undefined) {
      pipeline = new RecordPipeline(definition, settingsOf(consumerSettingsSchema));
      // Every metric of this function is the use-case's; the stack already names the service so, elsewhere set it.
      if (process.env.POWERTOOLS_SERVICE_NAME !== definition.useCase) {
        metrics.setDefaultDimensions({ service: definition.useCase });
        dimensionedMetrics.setService(definition.useCase);
      }
      logger.appendPersistentKeys({ useCase: definition.useCase });
    }
    pipeline.registerInvocation(context);
    const batchCache = new Map<string, Promise<unknown>>();
    const batchAnswered = new AbortController();
    // Records start in their order, at most this many at a time.
    const limit = pLimit(definition.maxConcurrency ?? defaultMaxConcurrency);
    try {
      return await processPartialResponse(
        event,
        (record: SQSRecord) =>
          limit(
            () => pipeline?.process(record, context, batchCache, batchAnswered.signal) ?? Promise.resolve(),
          ),
        new BatchProcessor(EventType.SQS),
        // Every failed record has already been held back or parked, so a fully failed batch is an answer, not an error.
        { context, throwOnFullBatchFailure: false },
      );
    } finally {
      batchAnswered.abort();
      dimensionedMetrics.publish();
    }
  };

  return middy(handleBatch)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true })) as unknown as Handler<
    SQSEvent,
    SQSBatchResponse
  >;
}

class RecordPipeline<S extends z.ZodType, E extends string> {
  readonly #definition: UseCaseDefinition<S, E>;
  readonly #settings: ConsumerSettings;
  /** Undefined when the use-case has no dependencies or the stack keeps no breakers. */
  readonly #breakers: CircuitBreakers | undefined;
  /** Undefined when the use-case turned idempotency off. */
  readonly #once: Idempotent<S, E> | undefined;
  /** Undefined when the stack gives the use-case no trail table. */
  readonly #trail: TrailWriter | undefined;

  constructor(definition: UseCaseDefinition<S, E>, settings: ConsumerSettings) {
    this.#definition = definition;
    this.#settings = settings;
    const dependencies = definition.dependencies ?? [];
    if (settings.BREAKER_TABLE_NAME && dependencies.length > 0) {
      this.#breakers = new CircuitBreakers(new BreakerStore(settings.BREAKER_TABLE_NAME), dependencies, {
        failureThreshold: settings.BREAKER_FAILURE_THRESHOLD,
        trialRecords: settings.BREAKER_TRIAL_RECORDS,
        probeIntervalSeconds: settings.BREAKER_PROBE_INTERVAL_SECONDS,
        // Fresh enough that a breaker another container opened stops this one within a few records.
        cacheMs: Math.min(5_000, settings.BREAKER_PROBE_INTERVAL_SECONDS * 250),
      });
    }
    this.#once = idempotentHandler(definition, settings);
    if (settings.TRAIL_TABLE_NAME) {
      this.#trail = new TrailWriter({
        tableName: settings.TRAIL_TABLE_NAME,
        retentionDays: settings.TRAIL_RETENTION_DAYS,
      });
    }
  }

  /** In-progress idempotency records expire with the invocation, so a timed-out attempt does not block retries. */
  registerInvocation(context: Context): void {
    this.#once?.config.registerLambdaContext(context);
  }

  /** Resolves when the record is done with (processed, skipped or dead-lettered); rejects to retry it later. */
  async process(
    sqsRecord: SQSRecord,
    lambdaContext: Context,
    batchCache: HandlerContext["batchCache"],
    signal: AbortSignal,
  ) {
    // Receives spent waiting out an outage are not counted: a requeued message carries the ones that were.
    const receiveCount =
      countedBefore(sqsRecord) + (Number(sqsRecord.attributes?.ApproximateReceiveCount) || 1);
    const apiRequestId = stringAttribute(sqsRecord, messageAttributes.requestId);
    const log = logger.createChild({
      persistentKeys: {
        messageId: sqsRecord.messageId,
        receiveCount,
        ...(apiRequestId ? { apiRequestId } : {}),
      },
    });
    const trail = this.#trailOf(sqsRecord, apiRequestId);
    try {
      const record = parseRecord(this.#definition, sqsRecord, receiveCount, apiRequestId);
      log.appendPersistentKeys(this.#correlationKeys(record.payload, log));
      trail?.describe(record.payload, this.#definition.schema);
      const admission = await this.#admit(log);
      if (!admission.run) return await this.#wait(sqsRecord, receiveCount, admission, log, trail);
      const result = await this.#run(record, {
        remainingTimeMs: () => lambdaContext.getRemainingTimeInMillis(),
        batchCache,
        signal,
        logger: log,
      });
      await this.#settle(log);
      reportResult(result, log);
      await trail?.note({ ...trailNoteOf(result), receive: receiveCount }, log);
    } catch (error) {
      await this.#fail(sqsRecord, receiveCount, error, log, trail);
    }
  }

  /** The record's trail, when the stack keeps one and the record came through the ingress (it has an event id). */
  #trailOf(sqsRecord: SQSRecord, apiRequestId: string | undefined): RecordTrail | undefined {
    if (!this.#trail || !apiRequestId) return undefined;
    const receivedAt = Number(stringAttribute(sqsRecord, messageAttributes.receivedAt));
    return this.#trail.forRecord({
      eventId: apiRequestId,
      useCase: this.#definition.useCase,
      eventType: stringAttribute(sqsRecord, messageAttributes.eventType),
      receivedAt: Number.isFinite(receivedAt) && receivedAt > 0 ? receivedAt : undefined,
      replay: stringAttribute(sqsRecord, messageAttributes.replayedAt) !== undefined,
    });
  }

  /** A breaker we cannot read does not stop the record: the dependency's own failure would. */
  async #admit(log: Logger): Promise<Admission> {
    if (!this.#breakers) return { run: true };
    try {
      return await this.#breakers.admit();
    } catch (error) {
      log.warn("could not read the circuit breakers; running the record", { error: String(error) });
      return { run: true };
    }
  }

  async #settle(log: Logger): Promise<void> {
    try {
      await this.#breakers?.settle();
    } catch (error) {
      log.warn("could not close a circuit breaker", { error: String(error) });
    }
  }

  /** Whether a failure on a dependency is an outage: its breaker is open (now), so the record should wait. */
  async #outage(dependency: Dependency, reason: string, log: Logger): Promise<boolean> {
    if (!this.#breakers) return false;
    try {
      return await this.#breakers.outage(dependency, reason);
    } catch (error) {
      log.warn("could not update the circuit breaker; counting the failure", { error: String(error) });
      return false;
    }
  }

  /**
   * Puts the record back to wait for its dependency without counting this receive; if that fails, it is an
   * ordinary retry (counted), as nothing may be lost.
   */
  async #wait(
    sqsRecord: SQSRecord,
    receiveCount: number,
    admission: Extract<Admission, { run: false }>,
    log: Logger,
    trail: RecordTrail | undefined,
  ): Promise<void> {
    const deferrals = (Number(stringAttribute(sqsRecord, messageAttributes.deferrals)) || 0) + 1;
    try {
      await requeue(sqsRecord, {
        delaySeconds: admission.delaySeconds,
        countedReceives: receiveCount - 1,
        deferrals,
      });
    } catch (error) {
      const delaySeconds = await this.#holdBack(sqsRecord, receiveCount, undefined, log);
      log.warn("could not requeue the record to wait for its dependency; retrying it as usual", {
        dependency: admission.dependency,
        error: String(error),
        delaySeconds,
      });
      throw error;
    }
    const single = metrics.singleMetric();
    single.addDimension("dependency", admission.dependency);
    single.addMetric("Deferred", MetricUnit.Count, 1);
    log.info("waiting for a dependency; requeued without counting the receive", {
      dependency: admission.dependency,
      reason: admission.reason,
      delaySeconds: admission.delaySeconds,
      deferrals,
    });
    // The first wait only: an outage of hours requeues a record many times, and the trail need not grow with it.
    if (deferrals === 1) {
      const code = `waiting-for-${admission.dependency}`;
      await trail?.note({ outcome: "transient", code, reason: admission.reason, receive: receiveCount }, log);
    }
  }

  #correlationKeys(payload: z.infer<S>, log: Logger): Record<string, string | number> {
    const keys: Record<string, string | number> = {};
    const { webhookEventId, goodsOwnerId } = (payload ?? {}) as Record<string, unknown>;
    if (typeof webhookEventId === "number" || typeof webhookEventId === "string")
      keys.webhookEventId = webhookEventId;
    if (typeof goodsOwnerId === "number" || typeof goodsOwnerId === "string")
      keys.goodsOwnerId = goodsOwnerId;
    try {
      Object.assign(keys, this.#definition.correlationIds?.(payload));
    } catch (error) {
      log.warn("correlationIds failed; logging without them", { error: String(error) });
    }
    return keys;
  }

  #idempotencyKey(record: WebhookRecord<z.infer<S>, E>): string | undefined {
    if (this.#definition.idempotencyKey) return this.#definition.idempotencyKey(record);
    const { webhookEventId, goodsOwnerId } = (record.payload ?? {}) as Record<string, unknown>;
    if (webhookEventId === undefined || goodsOwnerId === undefined) return undefined;
    return `${this.#definition.useCase}#${String(goodsOwnerId)}#${String(webhookEventId)}`;
  }

  async #run(record: WebhookRecord<z.infer<S>, E>, context: HandlerContext): Promise<Result> {
    if (this.#once === undefined) return this.#definition.handle(record, context);
    const key = this.#idempotencyKey(record);
    if (key === undefined) context.logger?.warn("no idempotency key; processing without deduplication");
    const run = { executed: false };
    const outcome = await this.#once.handle({ key }, record, context, run);
    return run.executed ? outcome : { status: "duplicate", previous: outcome };
  }

  async #fail(
    sqsRecord: SQSRecord,
    receiveCount: number,
    error: unknown,
    log: Logger,
    trail: RecordTrail | undefined,
  ): Promise<void> {
    if (error instanceof WaitError) {
      await this.#settle(log);
      const { waitingFor: dependency, delaySeconds, code, message } = error;
      const reason = `${code}: ${message}`;
      return this.#wait(
        sqsRecord,
        receiveCount,
        { run: false, dependency, delaySeconds, reason },
        log,
        trail,
      );
    }
    const failure = classify(error);
    // A failure on a dependency settles the others itself (#outage), leaving out the one that failed.
    if (!failure.dependency) await this.#settle(log);
    if (failure.dependency && (await this.#outage(failure.dependency, failure.reason, log))) {
      countFailure("outage");
      return this.#wait(
        sqsRecord,
        receiveCount,
        {
          run: false,
          dependency: failure.dependency,
          delaySeconds: Math.max(
            this.#settings.BREAKER_PROBE_INTERVAL_SECONDS,
            (failure.retryAfterMs ?? 0) / 1000,
          ),
          reason: `${failure.code}: ${failure.reason}`,
        },
        log,
        trail,
      );
    }
    if (failure.permanent) {
      countFailure("permanent");
      return this.#deadLetter(sqsRecord, receiveCount, { failureClass: "permanent", ...failure }, log, trail);
    }
    if (receiveCount >= this.#settings.MAX_RECEIVE_COUNT) {
      countFailure("exhausted");
      return this.#deadLetter(sqsRecord, receiveCount, { failureClass: "exhausted", ...failure }, log, trail);
    }
    countFailure("transient");
    const delaySeconds = await this.#holdBack(sqsRecord, receiveCount, failure.retryAfterMs, log);
    log.warn("failed; will retry", { code: failure.code, reason: failure.reason, delaySeconds });
    await trail?.note(
      { outcome: "transient", code: failure.code, reason: failure.reason, receive: receiveCount },
      log,
    );
    throw error instanceof Error ? error : new Error(failure.reason);
  }

  async #deadLetter(
    sqsRecord: SQSRecord,
    receiveCount: number,
    why: { failureClass: FailureClass; code: string; reason: string },
    log: Logger,
    trail: RecordTrail | undefined,
  ): Promise<void> {
    try {
      await sendToDeadLetterQueue(
        this.#settings.DEAD_LETTER_QUEUE_URL,
        this.#definition.useCase,
        sqsRecord,
        why,
      );
    } catch (sendError) {
      const delaySeconds = await this.#holdBack(sqsRecord, receiveCount, undefined, log);
      log.error("could not dead-letter; left on the queue to try again", {
        failureClass: why.failureClass,
        code: why.code,
        reason: why.reason,
        sendError: String(sendError),
        delaySeconds,
      });
      throw sendError;
    }
    const single = metrics.singleMetric();
    single.addDimension("class", why.failureClass);
    single.addMetric("DeadLettered", MetricUnit.Count, 1);
    log.error("dead-lettered", { failureClass: why.failureClass, code: why.code, reason: why.reason });
    const reason = `${why.failureClass}${why.failureClass === "exhausted" ? ` after ${receiveCount} receives` : ""}: ${why.reason}`;
    await trail?.note({ outcome: "dead-lettered", code: why.code, reason, receive: receiveCount }, log);
  }

  /** Makes the next attempt wait; a failure to do so only means an earlier retry (the queue's own timeout). */
  async #holdBack(sqsRecord: SQSRecord, receiveCount: number, retryAfterMs: number | undefined, log: Logger) {
    const delaySeconds = retryDelaySeconds({
      receiveCount,
      baseSeconds: this.#settings.RETRY_BASE_DELAY_SECONDS,
      retryAfterMs,
    });
    try {
      await holdBack(sqsRecord, delaySeconds);
    } catch (error) {
      log.warn("could not delay the retry; the queue's visibility timeout applies", { error: String(error) });
    }
    return delaySeconds;
  }
}
