import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backoffDelayMs } from "./retry.ts";

describe("backoff", () => {
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
