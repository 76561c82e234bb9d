import { afterEach, describe, expect, it, vi } from "vitest";
import * as z from "zod";
import { settingsOf } from "./function-settings.ts";

const schema = z.object({ EXAMPLE_TABLE: z.string().min(1), EXAMPLE_LIMIT: z.coerce.number().default(3) });

afterEach(() => vi.unstubAllEnvs());

describe("settingsOf", () => {
  it("reads a schema's settings once and hands every caller the same object", () => {
    vi.stubEnv("EXAMPLE_TABLE", "state");
    const first = settingsOf(schema);
    expect(first).toEqual({ EXAMPLE_TABLE: "state", EXAMPLE_LIMIT: 3 });
    expect(settingsOf(schema)).toBe(first);
  });

  it("names every bad variable, caches nothing from a failure, and reads again when a variable changes", () => {
    vi.stubEnv("EXAMPLE_TABLE", "");
    expect(() => settingsOf(schema)).toThrow(/EXAMPLE_TABLE/);
    vi.stubEnv("EXAMPLE_TABLE", "other");
    expect(settingsOf(schema).EXAMPLE_TABLE).toBe("other");
  });
});
