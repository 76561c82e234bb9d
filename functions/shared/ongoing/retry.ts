/** How long to wait between attempts at Ongoing when it did not say (`Retry-After`, shared/http.ts): backoff with full jitter. */

/** Exponential backoff with full jitter: a random wait in [0, min(cap, base · 2^(attempt-1))). */
export function backoffDelayMs(attempt: number, baseMs = 200, capMs = 5_000, random = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}
