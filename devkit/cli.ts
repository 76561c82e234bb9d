/**
 * What the command-line scripts share: running `main` when the file is the one node was started with, and finding
 * the stack they work on (the local stack's status, or a deployed stack's outputs).
 */
import { readFileSync } from "node:fs";

/**
 * Runs `main(argv)` when `module` is the script node was started with (not when a test imports it), and sets
 * the exit code from its answer; a thrown error prints its message and exits 1.
 */
export function runWhenMain(module: ImportMeta, main: (argv: string[]) => Promise<number>): void {
  if (!process.argv[1] || module.filename !== process.argv[1]) return;
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    },
  );
}

/** What a CLI needs of the local stack's `/_local/status`: its queues, tables and endpoints. */
export interface LocalStackStatus {
  readonly queues: readonly { useCase: string; url: string; deadLetterUrl: string }[];
  readonly tables: Readonly<Record<string, string>>;
  readonly endpoints: { readonly sqs: string; readonly dynamodb: string };
}

/** The local stack's status at `ingressUrl`, or undefined (with a line on stderr) when no local stack answers. */
export async function localStackStatus(ingressUrl: string): Promise<LocalStackStatus | undefined> {
  const response = await fetch(`${ingressUrl}/_local/status`).catch(() => undefined);
  if (!response?.ok) {
    console.error(
      `no local stack answers at ${ingressUrl} (start it with npm start, or pass --outputs for AWS)`,
    );
    return undefined;
  }
  return (await response.json()) as LocalStackStatus;
}

/** An SDK client's settings for the local stack's endpoint (its credentials are not checked). */
export const localClientConfig = (endpoint: string) => ({
  region: "eu-west-1",
  endpoint,
  credentials: { accessKeyId: "local", secretAccessKey: "local" },
});

/** A deployed stack's outputs from `cdk deploy --outputs-file` (the first stack with `name`), or a clear error. */
export function stackOutput(file: string, name: string): string {
  const stacks = JSON.parse(readFileSync(file, "utf8")) as Record<string, Record<string, string>>;
  for (const outputs of Object.values(stacks)) if (outputs[name]) return outputs[name];
  throw new Error(`${file} has no ${name} output`);
}

/** `transport-booking` → `TransportBooking`, as the stack names its outputs. */
export const pascal = (value: string) =>
  value
    .split("-")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
