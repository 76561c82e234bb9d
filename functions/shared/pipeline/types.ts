/**
 * The contract between the consumer pipeline and a use-case handler. A handler is a short story:
 * parse (done by the pipeline) → fetch → decide → act, returning an outcome or throwing a failure class
 * from `../errors.ts`. Retries, idempotency, batch handling, logging, metrics and dead-lettering are the
 * pipeline's job.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import type { z } from "zod";
import type { Consumer } from "../contract/consumers.ts";
import type { Dependency } from "../contract/dependencies.ts";
import type { EventType } from "../contract/routes.ts";

/** One parsed webhook (or other queued message), as a handler receives it. */
export interface WebhookRecord<P, E extends string = EventType> {
  readonly payload: P;
  /** From the route the webhook was posted to (the message's `eventType` attribute). */
  readonly eventType: E;
  readonly messageId: string;
  /**
   * Receives that count towards the retry budget, this one included: 1 on the first attempt. Receives spent
   * waiting out a dependency's outage are not counted.
   */
  readonly receiveCount: number;
  /** The API Gateway request id, for correlation. */
  readonly apiRequestId: string | undefined;
  /** When the ingress accepted the webhook (epoch ms); else when it reached the queue (SQS `SentTimestamp`). */
  readonly receivedAt: number | undefined;
}

/** What a handler did with one webhook. Failures are thrown (PermanentError / TransientError), not returned. */
export type Outcome =
  | {
      readonly status: "done";
      readonly detail?: Record<string, string | number | boolean>;
      /** What it did, kept on the webhook's trail (ids only: SES message id, waybill, mirror revision). */
      readonly effect?: Readonly<Record<string, string>>;
    }
  | { readonly status: "skipped"; readonly reason: string };

/** What the pipeline hands a handler besides the record. */
export interface HandlerContext {
  /** Milliseconds left before the Lambda times out; bound retries and time-outs by it. */
  remainingTimeMs(): number;
  /**
   * A map that lives for one SQS batch, for work that records of the same batch can share
   * (e.g. one fetch for several events about the same article).
   */
  readonly batchCache: Map<string, Promise<unknown>>;
  /**
   * Aborted once the invocation has answered its batch: work queued for the batch that has not begun by then
   * (e.g. a fetch waiting for a slot) should not begin. Always set by the pipeline; optional for hand-built contexts.
   */
  readonly signal?: AbortSignal;
  /**
   * The shared logger with this record's correlation keys (message id, API request id, webhook event id,
   * goods owner, `correlationIds`). Records of a batch run concurrently, so per-record keys live here rather
   * than on the shared logger. Always set by the pipeline; optional only so tests may build a context by hand.
   */
  readonly logger?: Logger;
}

export interface UseCaseDefinition<S extends z.ZodType, E extends string = EventType> {
  readonly useCase: Consumer;
  /** The `eventType` attributes this consumer accepts; any other is dead-lettered. @default the webhook event types */
  readonly eventTypes?: readonly E[];
  /** The payload schema (from `webhooks/schemas.ts`). */
  readonly schema: S;
  /**
   * Whether the pipeline deduplicates records through Powertools idempotency on the state table (a put before
   * and a complete after the handler: two serial writes per record). Turn it off only when the use-case's own
   * state already makes a repeat harmless (a repeat writes nothing); a repeat is then the handler's own outcome.
   * @default true
   */
  readonly idempotency?: boolean;
  /**
   * The idempotency key of a record: records with the same key are processed once while the key's record
   * lives in the state table. Defaults to the use-case, `goodsOwnerId` and `webhookEventId`. Not allowed with `idempotency: false`.
   */
  readonly idempotencyKey?: (record: WebhookRecord<z.infer<S>, E>) => string;
  /** Log/metric-safe correlation ids of a payload (order id, article id); never personal data. */
  readonly correlationIds?: (payload: z.infer<S>) => Record<string, string | number>;
  /**
   * The systems the use-case calls, each behind a shared circuit breaker: while one is unavailable, records wait
   * (deferred without spending their retry budget) and the event source is paused by the probe. @default none
   */
  readonly dependencies?: readonly Dependency[];
  /** Records of one batch handled at the same time (bounds memory and downstream load). @default 10 */
  readonly maxConcurrency?: number;
  readonly handle: (record: WebhookRecord<z.infer<S>, E>, context: HandlerContext) => Promise<Outcome>;
}
