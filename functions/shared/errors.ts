/**
 * The failure classes every use-case speaks. The consumer pipeline turns them into the same outcomes for all:
 * a permanent failure is dead-lettered at once with its reason; a transient one is retried later with a growing
 * delay; anything else thrown is treated as transient (it may heal) until the receives run out.
 */
import type { Dependency } from "./contract/dependencies.ts";

/** Will not heal by retrying (bad payload, not found for good, configuration error, rejected by the receiver). */
export class PermanentError extends Error {
  override readonly name: string = "PermanentError";
  /** A short machine-readable code for metrics and the DLQ attribute, e.g. `invalid-payload`. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** May heal by retrying later (5xx, 429, time-out, throttling, a concurrent duplicate in progress). */
export class TransientError extends Error {
  override readonly name: string = "TransientError";
  readonly code: string;
  /** When the other side told us how long to wait (e.g. `Retry-After`). */
  readonly retryAfterMs: number | undefined;
  /**
   * The dependency that did not answer (unavailable, timed out, throttling), when the failure is the
   * dependency's and not this message's: it counts towards that dependency's circuit breaker.
   */
  readonly dependency: Dependency | undefined;
  constructor(
    code: string,
    message: string,
    options?: { cause?: unknown; retryAfterMs?: number | undefined; dependency?: Dependency },
  ) {
    super(message, options);
    this.code = code;
    this.retryAfterMs = options?.retryAfterMs;
    this.dependency = options?.dependency;
  }
}

/**
 * Not a failure: the record must wait for something that happens by itself (another attempt finishing its mail,
 * SES's event about a mail). The pipeline requeues it after `delaySeconds` without counting the receive, as it
 * does while a dependency's breaker is open; the handler bounds how long a record waits.
 */
export class WaitError extends Error {
  override readonly name: string = "WaitError";
  readonly code: string;
  readonly delaySeconds: number;
  /** The dependency whose news the record waits for (the `Deferred` metric's dimension). */
  readonly waitingFor: Dependency;
  constructor(code: string, message: string, options: { delaySeconds: number; waitingFor: Dependency }) {
    super(message);
    this.code = code;
    this.delaySeconds = options.delaySeconds;
    this.waitingFor = options.waitingFor;
  }
}

/** The resource does not exist (HTTP 404). Permanent unless the use-case decides otherwise. */
export class NotFoundError extends PermanentError {
  override readonly name: string = "NotFoundError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("not-found", message, options);
  }
}

/** A short, log-safe description of any thrown value. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
