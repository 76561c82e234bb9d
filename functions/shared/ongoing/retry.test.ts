import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backoffDelayMs, parseRetryAfter } from "./retry.ts";

describe("Retry-After and backoff", () => {
  it("reads delay-seconds and HTTP dates, and ignores nonsense", () => {
    const now = Date.parse("2025-01-01T00:00:00Z");
    expect(parseRetryAfter("3", now)).toBe(3_000);
    expect(parseRetryAfter("Wed, 01 Jan 2025 00:00:10 GMT", now)).toBe(10_000);
    expect(parseRetryAfter("Tue, 31 Dec 2024 23:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it("waits a random time below an exponentially growing, capped ceiling", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.double({ min: 0, max: 0.999_999, noNaN: true }),
        (attempt, r) => {
          const delay = backoffDelayMs(attempt, 200, 5_000, () => r);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThan(Math.min(5_000, 200 * 2 ** (attempt - 1)));
        },
      ),
    );
  });
});
