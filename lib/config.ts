/**
 * The deployment's configuration: one typed, validated object read from `cdk.json` context key
 * `ongoingWebhooks`, overridable per key with `-c ongoingWebhooks.<path>=<value>` (a JSON value or a plain string).
 * Checked with zod at synth time; a missing or wrong value fails synth naming the key and what is expected.
 * Secrets are referenced by Secrets Manager name only, never given here.
 */
import type * as z from "zod";
import { checkConfig } from "./config/checks.ts";
import { configObject } from "./config/schema.ts";

export const contextKey = "ongoingWebhooks";

/** The configuration, with the checks that span several keys. */
export const configSchema = configObject.superRefine(checkConfig);

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** A configuration error: names each bad key and what is expected. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const [index, key] of path.entries()) {
    if (index === path.length - 1) {
      node[key] = value;
      return;
    }
    const next = node[key];
    node[key] = typeof next === "object" && next !== null && !Array.isArray(next) ? { ...next } : {};
    node = node[key] as Record<string, unknown>;
  }
}

function parseContextValue(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/**
 * Builds the configuration from all CDK context: the `ongoingWebhooks` object, then every
 * `ongoingWebhooks.<dotted.path>` key on top of it. Throws ConfigError listing every problem.
 */
export function parseConfig(context: Record<string, unknown>): Config {
  const base = parseContextValue(context[contextKey]);
  if (base !== undefined && (typeof base !== "object" || base === null || Array.isArray(base))) {
    throw new ConfigError(`Invalid configuration:\n  - ${contextKey}: expected an object`);
  }
  const raw: Record<string, unknown> = structuredClone((base as Record<string, unknown> | undefined) ?? {});
  for (const [key, value] of Object.entries(context)) {
    if (key.startsWith(`${contextKey}.`))
      setPath(raw, key.slice(contextKey.length + 1).split("."), parseContextValue(value));
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const key = [contextKey, ...issue.path.map(String)].join(".");
      return `  - ${key}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration (cdk.json context or -c overrides):\n${lines.join("\n")}`);
  }
  return result.data;
}
