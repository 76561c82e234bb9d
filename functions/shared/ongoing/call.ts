/**
 * The call engine under both Ongoing clients (REST, client.ts; SOAP Automation, automation.ts) and the OAuth
 * token request: a time-out on every attempt, retries with backoff for what may heal (429, 5xx, resets,
 * time-outs) bounded by the Lambda's remaining time, a write that may have taken effect never repeated blindly,
 * every attempt counted and timed, and the failure classes the pipeline speaks (NotFoundError, PermanentError,
 * TransientError). Writes for one goods owner run one at a time per container, as Ongoing advises.
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { dependencyAnswered } from "../breaker/answers.ts";
import { NotFoundError, PermanentError, TransientError } from "../errors.ts";
import {
  HttpNetworkError,
  type HttpRequest,
  type HttpResponse,
  isRetryableStatus,
  retryAfterMs,
  sendHttp,
} from "../http.ts";
import { dimensionedMetrics } from "../powertools/dimensioned-metrics.ts";
import { logger } from "../powertools/logger.ts";
import { backoffDelayMs } from "./retry.ts";

/**
 * A write that failed in a way that may have taken effect all the same (a time-out, a cut connection, a 5xx):
 * it is not repeated blindly. Whoever retries it re-reads what Ongoing has first and writes only what is missing.
 */
export class OngoingWriteUnknownError extends TransientError {
  override readonly name = "OngoingWriteUnknownError";
  /** `unanswered`: Ongoing failed (5xx, time-out, cut connection), so it counts towards Ongoing's breaker. */
  constructor(failure: OngoingFailure, options: { unanswered?: boolean } = {}) {
    super("ongoing-write-unknown", `${failure.message} (the write may have taken effect: not repeated)`, {
      retryAfterMs: failure.retryAfterMs,
      ...(options.unanswered ? { dependency: "ongoing" as const } : {}),
    });
  }
}

/** Sent on every request so Ongoing can tell our calls apart. */
export const userAgent = "ongoing-webhooks/0.1 (node)";
/** Time kept back from the Lambda's remaining time for recording the outcome. */
const safetyMarginMs = 1_000;
/** An attempt with less time than this is not worth starting. */
const minimumAttemptMs = 250;
/** A longer `Retry-After` is handed to the queue (message delay) instead of waited out in the Lambda. */
const maxInlineWaitMs = 10_000;

/** Why an attempt failed in a way that may heal. */
export interface OngoingFailure {
  code: string;
  message: string;
  retryAfterMs?: number;
}

/** One attempt's verdict on an HTTP answer; a failure that will not heal is thrown instead. */
export type OngoingAnswer<T> =
  | { done: T }
  | { retry: OngoingFailure }
  /** Read the credentials again and repeat once (the secret may have been rotated); else fail permanently. */
  | { reauthenticate: { code: string; message: string } };

/** One logical call to an Ongoing API (REST or SOAP), attempted until it succeeds or may not go on. */
export interface OngoingCall<T> {
  operation: string;
  method: HttpRequest["method"];
  url: string;
  /** Headers and body of one attempt, from credentials read for it (again when `forceFetch`). */
  prepare: (forceFetch: boolean) => Promise<{ headers: Record<string, string>; body?: string }>;
  interpret: (response: HttpResponse) => OngoingAnswer<T>;
  /**
   * False for a write that adds something each time (a file, a parcel or tracking row): an attempt that may have
   * taken effect is not repeated (OngoingWriteUnknownError); one that surely did not (429, refused) still is.
   * @default true
   */
  repeatable?: boolean;
}

export interface OngoingCallBudget {
  timeoutMs: number;
  maxAttempts: number;
  remainingTimeMs: () => number;
}

/** A client's budget from its options: 10 s per attempt and 4 attempts unless set; no deadline unless given. */
export function callBudget(options: {
  timeoutMs?: number | undefined;
  maxAttempts?: number | undefined;
  remainingTimeMs?: (() => number) | undefined;
}): OngoingCallBudget {
  return {
    timeoutMs: options.timeoutMs ?? 10_000,
    maxAttempts: options.maxAttempts ?? 4,
    remainingTimeMs: options.remainingTimeMs ?? (() => Number.POSITIVE_INFINITY),
  };
}

// Per goods owner and base URL, the tail of the chain of writes in flight in this container.
const writeQueues = new Map<string, Promise<void>>();

/** Runs tasks with the same key one at a time, in order (Ongoing runs writes per goods owner one at a time). */
export function serialized<T>(key: string, task: () => Promise<T>): Promise<T> {
  const previous = writeQueues.get(key) ?? Promise.resolve();
  const run = previous.then(task);
  const tail = run.then(
    () => undefined,
    () => undefined,
  );
  writeQueues.set(key, tail);
  void tail.then(() => {
    if (writeQueues.get(key) === tail) writeQueues.delete(key);
  });
  return run;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function statusClass(status: number | undefined): string {
  return status === undefined ? "network" : `${Math.floor(status / 100)}xx`;
}

function recordCall(operation: string, status: number | undefined, latencyMs: number): void {
  const dimensions = { operation, statusClass: statusClass(status) };
  dimensionedMetrics.add(dimensions, "OngoingApiCall", MetricUnit.Count, 1);
  dimensionedMetrics.add(dimensions, "OngoingApiLatency", MetricUnit.Milliseconds, latencyMs);
}

const permanentCodes: Record<number, string> = {
  400: "ongoing-bad-request",
  401: "ongoing-unauthorized",
  403: "ongoing-forbidden",
};

/** Whether a failed attempt may have changed something on Ongoing's side: only a refusal before work says no. */
function mayHaveTakenEffect(
  response: HttpResponse | undefined,
  error: HttpNetworkError | undefined,
): boolean {
  if (response) return response.status !== 408 && response.status !== 425 && response.status !== 429;
  return error?.code !== "ECONNREFUSED";
}

/**
 * What a non-2xx HTTP status means, the same for every Ongoing API: 404 not found, 401 re-read credentials
 * once, other 4xx permanent, 408/425/429/5xx transient (with `Retry-After` when sent). `detail` is Ongoing's
 * own message, already made safe to log.
 */
export function statusAnswer(
  operation: string,
  response: HttpResponse,
  detail: string,
): OngoingAnswer<never> {
  const { status } = response;
  const message = `Ongoing ${operation} answered ${status}: ${detail}`;
  if (status === 404) throw new NotFoundError(`Ongoing ${operation}: not found (${detail})`);
  if (status === 401) return { reauthenticate: { code: "ongoing-unauthorized", message } };
  if (!isRetryableStatus(status)) {
    throw new PermanentError(permanentCodes[status] ?? "ongoing-rejected", message);
  }
  return {
    retry: {
      code: status === 429 ? "ongoing-throttled" : "ongoing-unavailable",
      message,
      retryAfterMs: retryAfterMs(response.headers["retry-after"]),
    },
  };
}

function outOfTime(operation: string, last: OngoingFailure | undefined): TransientError {
  if (last) {
    return new TransientError(last.code, `${last.message} (no time to retry)`, {
      retryAfterMs: last.retryAfterMs,
      dependency: "ongoing",
    });
  }
  return new TransientError("ongoing-no-time", `Ongoing ${operation}: no time left for a request`);
}

/** An Ongoing call at least this slow is logged at INFO (see docs/operations-queries.md). */
export const slowCallMs = 1_000;

/**
 * Attempts a call with a time-out each, retrying what may heal with backoff (or Ongoing's `Retry-After`),
 * never past the Lambda's remaining time; every attempt is counted and timed in metrics.
 */
export async function callOngoing<T>(call: OngoingCall<T>, budget: OngoingCallBudget): Promise<T> {
  let forceFetch = false;
  let reauthenticated = false;
  let last: OngoingFailure | undefined;
  for (let attempt = 1; ; attempt++) {
    const available = budget.remainingTimeMs() - safetyMarginMs;
    if (available < minimumAttemptMs) throw outOfTime(call.operation, last);
    const { headers, body } = await call.prepare(forceFetch);
    forceFetch = false;
    const started = performance.now();
    let response: HttpResponse | undefined;
    let networkError: HttpNetworkError | undefined;
    try {
      response = await sendHttp({
        method: call.method,
        url: call.url,
        headers,
        body,
        timeoutMs: Math.min(budget.timeoutMs, available),
      });
    } catch (error) {
      if (!(error instanceof HttpNetworkError)) throw error;
      networkError = error;
      last = {
        code: error.timedOut ? "ongoing-timeout" : "ongoing-network",
        message: `Ongoing ${call.operation} ${error.message}`,
      };
    }
    const latencyMs = Math.round(performance.now() - started);
    recordCall(call.operation, response?.status, latencyMs);
    // Slow or failed calls at INFO, so the operators' "slowest Ongoing calls" query finds them; the rest at DEBUG.
    const notable = latencyMs >= slowCallMs || !response || isRetryableStatus(response.status);
    (notable ? logger.info : logger.debug).call(logger, "Ongoing API call", {
      operation: call.operation,
      method: call.method,
      status: response?.status ?? last?.code,
      attempt,
      latencyMs,
    });

    if (response) {
      if (!isRetryableStatus(response.status)) dependencyAnswered("ongoing");
      const answer = call.interpret(response);
      if ("done" in answer) return answer.done;
      if ("reauthenticate" in answer) {
        if (!reauthenticated) {
          reauthenticated = true;
          forceFetch = true;
          attempt--;
          continue;
        }
        throw new PermanentError(answer.reauthenticate.code, answer.reauthenticate.message);
      }
      last = answer.retry;
    }
    const failure = last as OngoingFailure;
    if (call.repeatable === false && mayHaveTakenEffect(response, networkError)) {
      // A 5xx or a lost connection is Ongoing's failure, not this message's: writes failing alone open the breaker.
      throw new OngoingWriteUnknownError(failure, {
        unanswered: networkError !== undefined || (response?.status ?? 0) >= 500,
      });
    }
    if (attempt >= budget.maxAttempts) {
      throw new TransientError(failure.code, `${failure.message} (after ${attempt} attempts)`, {
        retryAfterMs: failure.retryAfterMs,
        dependency: "ongoing",
      });
    }
    const delayMs = failure.retryAfterMs ?? backoffDelayMs(attempt);
    if (delayMs > maxInlineWaitMs || budget.remainingTimeMs() - safetyMarginMs - delayMs < minimumAttemptMs) {
      throw new TransientError(failure.code, `${failure.message} (no time to retry)`, {
        retryAfterMs: failure.retryAfterMs,
        dependency: "ongoing",
      });
    }
    await sleep(delayMs);
  }
}
