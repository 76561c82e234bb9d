/** How long a transiently failed message stays invisible before its next attempt. */
import { maxVisibilitySeconds } from "../contract/limits.ts";

/**
 * Exponential backoff on the receive count with "equal jitter" (half fixed, half random), never shorter than what
 * the other side asked for (`retryAfterMs`) and never longer than SQS allows. Whole seconds, as SQS takes them.
 */
export function retryDelaySeconds(options: {
  readonly receiveCount: number;
  readonly baseSeconds: number;
  readonly retryAfterMs?: number | undefined;
  /** A number in [0, 1); injectable so the curve can be checked. */
  readonly random?: () => number;
}): number {
  const random = options.random ?? Math.random;
  const attempt = Math.max(1, options.receiveCount);
  const exponential = options.baseSeconds * 2 ** Math.min(attempt - 1, 30);
  const jittered = exponential / 2 + (random() * exponential) / 2;
  const requested = (options.retryAfterMs ?? 0) / 1000;
  return Math.min(maxVisibilitySeconds, Math.ceil(Math.max(jittered, requested)));
}
