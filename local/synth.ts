/**
 * Synthesizes the CDK app into a cloud assembly, as `cdk synth` would: the app from cdk.json, run with the
 * context from cdk.json, so the local stack runs the very template (and bundles) a deployment would.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Assembly, readAssembly } from "./template.ts";

export const projectRoot = fileURLToPath(new URL("..", import.meta.url));

export interface SynthOptions {
  /** The cloud assembly directory. @default `.local/cdk.out` */
  readonly outdir?: string;
  /** Extra context on top of cdk.json's (like `-c key=value`). */
  readonly context?: Record<string, unknown>;
}

export const defaultAssemblyDir = join(projectRoot, ".local", "cdk.out");

/** Runs the CDK app's entry (cdk.json `app`) with CDK_OUTDIR and the context file; returns the assembly. */
export async function synthesize(options: SynthOptions = {}): Promise<Assembly> {
  const outdir = options.outdir ?? defaultAssemblyDir;
  const cdkJson = JSON.parse(readFileSync(join(projectRoot, "cdk.json"), "utf8")) as {
    app: string;
    context?: Record<string, unknown>;
  };
  // `tsx bin/app.ts` → run the entry with this Node and the tsx loader, without a shell.
  const [runner, ...args] = cdkJson.app.split(/\s+/);
  if (runner !== "tsx" || args.length === 0)
    throw new Error(`cdk.json app "${cdkJson.app}" is not "tsx <entry>"`);
  const context = {
    ...cdkJson.context,
    "aws:cdk:enable-asset-metadata": true,
    ...options.context,
  };
  // Passed in a file, as the CDK CLI does: a large configuration (many goods owners) exceeds what an
  // environment variable may hold.
  const contextDir = mkdtempSync(join(tmpdir(), "ongoing-webhooks-context-"));
  const contextFile = join(contextDir, "context.json");
  writeFileSync(contextFile, JSON.stringify(context));
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", ...args], {
      cwd: projectRoot,
      env: {
        ...withoutInlineContext(process.env),
        CDK_OUTDIR: outdir,
        CONTEXT_OVERFLOW_LOCATION_ENV: contextFile,
        // NodejsFunction bundles with the project's own esbuild, found on PATH.
        PATH: [join(projectRoot, "node_modules", ".bin"), process.env.PATH ?? ""].join(delimiter),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    child.once("error", reject);
    child.once("exit", resolve);
  }).finally(() => rmSync(contextDir, { recursive: true, force: true }));
  if (code !== 0) throw new Error(`synthesis failed (exit ${code}):\n${output.join("").trim()}`);
  return readAssembly(outdir);
}

/** The environment without a CDK_CONTEXT_JSON of whatever started this process: the context file is all of it. */
function withoutInlineContext(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { CDK_CONTEXT_JSON: _ignored, ...rest } = env;
  return rest;
}
