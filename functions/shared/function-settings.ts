/**
 * The one way a function reads its settings (the contract in settings.ts, written by lib/function-settings.ts):
 * `settingsOf(schema)`, parsed and validated once per container on first use, then shared by the entry, the
 * use-case and the clients alike. A bad value throws one error naming every bad variable, and is read again next
 * time (nothing is cached from a failure).
 */
import * as z from "zod";
import { readSettings } from "./contract/settings.ts";

interface Read {
  /** The variables the schema names, as they were when read: a test that changes one gets a fresh read. */
  readonly source: readonly (string | undefined)[];
  readonly settings: unknown;
}

const read = new Map<z.ZodType, Read>();

const variablesOf = (schema: z.ZodType): readonly string[] =>
  schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];

/** The function's settings of `schema`, read from the environment once per container. */
export function settingsOf<S extends z.ZodType>(schema: S): z.output<S> {
  const source = variablesOf(schema).map((name) => process.env[name]);
  const cached = read.get(schema);
  if (cached?.source.every((value, index) => value === source[index])) {
    return cached.settings as z.output<S>;
  }
  const settings = readSettings(schema);
  read.set(schema, { source, settings });
  return settings;
}
