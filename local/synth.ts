/**
 * Synthesizes the CDK app into a cloud assembly, as `cdk synth` would: the app from cdk.json, run with the
 * context from cdk.json, so the local stack runs the very template (and bundles) a deployment would.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
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

/** Runs the CDK app's entry (cdk.json `app`) with CDK_OUTDIR/CDK_CONTEXT_JSON; returns the assembly. */
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
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", ...args], {
      cwd: projectRoot,
      env: {
        ...process.env,
        CDK_OUTDIR: outdir,
        CDK_CONTEXT_JSON: JSON.stringify(context),
        // NodejsFunction bundles with the project's own esbuild, found on PATH.
        PATH: [join(projectRoot, "node_modules", ".bin"), process.env.PATH ?? ""].join(delimiter),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    child.once("error", reject);
    child.once("exit", resolve);
  });
  if (code !== 0) throw new Error(`synthesis failed (exit ${code}):\n${output.join("").trim()}`);
  return readAssembly(outdir);
}
