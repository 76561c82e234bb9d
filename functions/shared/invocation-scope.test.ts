import { describe, expect, it } from "vitest";
import { InvocationScope } from "./invocation-scope.ts";

describe("InvocationScope", () => {
  it("makes one value per invocation, on first use, and the same one for every later user", () => {
    const scope = new InvocationScope<{ made: number }>();
    let made = 0;
    const batch = new Map<string, Promise<unknown>>();
    const first = scope.of(batch, () => ({ made: ++made }));
    expect(scope.of(batch, () => ({ made: ++made }))).toBe(first);
    expect(scope.of(new Map(), () => ({ made: ++made }))).not.toBe(first);
    expect(made).toBe(2);
  });
});
