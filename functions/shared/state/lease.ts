/**
 * Leases on workflow records (state/workflow.ts): a worker holds a record until its invocation's deadline, so
 * two deliveries never work on it at once. The same rules for every use-case: a lease runs to the holder's
 * Lambda deadline (never past the longest a Lambda runs), and is gone once that deadline, plus any allowance for
 * clocks of different hosts disagreeing, has passed.
 */

/** The longest a Lambda runs; bounds a lease when the remaining time is unknown. */
export const maxFunctionTimeMs = 15 * 60_000;

/** A lease that is held by nobody (released). */
export const noLease = 0;

/** Until when (epoch ms) a worker with `remainingTimeMs` left may still be at work, from `now`. */
export function leaseUntil(now: number, remainingTimeMs: number): number {
  const remaining = Number.isFinite(remainingTimeMs) ? remainingTimeMs : maxFunctionTimeMs;
  return now + Math.min(Math.max(remaining, 0), maxFunctionTimeMs);
}

/** Milliseconds until the holder of a lease running `until` is certainly gone; zero or less: it is gone now. */
export function leaseLeftMs(until: number, now: number, clockSkewMs = 0): number {
  return until + clockSkewMs - now;
}
