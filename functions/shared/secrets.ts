/**
 * Secrets read at run time from Secrets Manager, cached per container (never placed in the template, the
 * environment or a log line).
 */
import { SecretsProvider } from "@aws-lambda-powertools/parameters/secrets";
import { secretsManagerClient } from "./aws/secrets-manager.ts";
import { PermanentError, TransientError } from "./errors.ts";

const provider = new SecretsProvider({ awsSdkV3Client: secretsManagerClient });

/** Seconds a secret is cached before it is read again (a rotated secret is picked up within this). */
export const secretCacheSeconds = 300;

function classify(name: string, error: unknown): Error {
  const cause = (error as { cause?: { name?: string } })?.cause ?? error;
  const code = (cause as { name?: string })?.name ?? "";
  if (code === "ResourceNotFoundException" || code === "AccessDeniedException") {
    return new PermanentError("secret-unavailable", `secret "${name}" cannot be read (${code})`, {
      cause: error,
    });
  }
  return new TransientError("secret-unavailable", `secret "${name}" could not be read now`, { cause: error });
}

/** A secret's string value. */
export async function getSecretString(name: string, options: { forceFetch?: boolean } = {}): Promise<string> {
  try {
    const value = await provider.get(name, {
      maxAge: secretCacheSeconds,
      forceFetch: options.forceFetch ?? false,
    });
    if (typeof value !== "string" || value === "") {
      throw new PermanentError("secret-empty", `secret "${name}" has no string value`);
    }
    return value;
  } catch (error) {
    if (error instanceof PermanentError) throw error;
    throw classify(name, error);
  }
}

/** A secret holding JSON, parsed. */
export async function getSecretJson(name: string, options: { forceFetch?: boolean } = {}): Promise<unknown> {
  const value = await getSecretString(name, options);
  try {
    return JSON.parse(value);
  } catch {
    throw new PermanentError("secret-not-json", `secret "${name}" is not JSON`);
  }
}
