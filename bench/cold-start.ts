/**
 * The cold-start proxy: how long a fresh Node process takes to load and initialise each function's bundle (the
 * very file in the cloud assembly), beside an empty handler bundled with NodejsFunction's options, measured
 * alternately in the same run so both see the same machine.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { percentile, round } from "../devkit/webhooks.ts";
import {
  type Assembly,
  type CfnResource,
  type LocalNames,
  metadataOf,
  resolve,
  resourcesOfType,
} from "../local/template.ts";

/** lib/service-function.ts's banner; `measureColdStarts` checks every function bundle still starts with it. */
const esmRequireBanner =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/** Lambda's lookup of `file.export` (local/function-host.ts does the same; importing it would start a host). */
function handlerFile(codeDir: string, handler: string): string {
  const base = handler.slice(0, handler.lastIndexOf("."));
  const file = [".js", ".mjs", ".cjs"]
    .map((extension) => join(codeDir, `${base}${extension}`))
    .find(existsSync);
  if (!file) throw new Error(`no ${base}.js/.mjs/.cjs in ${codeDir}`);
  return file;
}

export interface ColdStart {
  bundleBytes: number;
  /** Median time to import the bundle (load, compile, run its module scope), ms. */
  initMs: number;
  /** The same for the empty handler, ms. */
  baselineInitMs: number;
  /** Median time from process start until the handler is ready, ms (Node's own start-up included). */
  processReadyMs: number;
  baselineProcessReadyMs: number;
}

/** The empty handler, bundled as NodejsFunction bundles the functions (lib/service-function.ts). */
export async function bundleEmptyHandler(dir: string): Promise<string> {
  const entry = join(dir, "empty.ts");
  writeFileSync(entry, "export const handler = async (): Promise<void> => undefined;\n");
  const outfile = join(dir, "index.mjs");
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node24",
    mainFields: ["module", "main"],
    banner: { js: esmRequireBanner },
    minify: true,
    sourcemap: true,
    outfile,
    logLevel: "silent",
  });
  return outfile;
}

const probe = `
const started = performance.now();
const module = await import(process.argv[1]);
if (typeof module.handler !== "function") throw new Error("no handler export");
const ready = performance.now();
process.stdout.write(JSON.stringify({ initMs: ready - started, processReadyMs: ready }));
`;

function timeOnce(
  file: string,
  environment: Record<string, string>,
): Promise<{ initMs: number; processReadyMs: number }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", probe, pathToFileURL(file).href], {
      // Lambda sets LAMBDA_TASK_ROOT to the code directory: bundled setting files are read relative to it.
      env: { ...environment, LAMBDA_TASK_ROOT: dirname(file) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code === 0) resolvePromise(JSON.parse(out) as { initMs: number; processReadyMs: number });
      else reject(new Error(`initialising ${file} failed (exit ${code}): ${err.trim().slice(0, 500)}`));
    });
  });
}

/** Values for the template's intrinsics that settle settings validation; nothing is called at init. */
function placeholderNames(assembly: Assembly): LocalNames {
  const typeOf = (id: string) => assembly.template.Resources[id]?.Type ?? "";
  return {
    region: "eu-west-1",
    accountId: "000000000000",
    ref: (id) =>
      typeOf(id) === "AWS::SQS::Queue"
        ? `http://127.0.0.1:9/000000000000/${id}`
        : `local-${id}`.slice(0, 200),
    getAtt: (id, attribute) =>
      attribute === "Arn"
        ? `arn:aws:${typeOf(id).split("::")[1]?.toLowerCase() ?? "x"}:eu-west-1:000000000000:${id}`
        : `local-${id}-${attribute}`,
  };
}

function functionEnvironment(resource: CfnResource, names: LocalNames): Record<string, string> {
  const variables = resolve(
    (resource.Properties?.Environment as { Variables?: unknown } | undefined)?.Variables ?? {},
    names,
  ) as Record<string, unknown>;
  return {
    ...Object.fromEntries(Object.entries(variables).map(([key, value]) => [key, String(value)])),
    AWS_REGION: "eu-west-1",
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    ...(process.env.PATH ? { PATH: process.env.PATH } : {}),
  };
}

/** Bundle size and cold-start proxy per function of the assembly (consumers, authorizer, reconcile). */
export async function measureColdStarts(
  assembly: Assembly,
  repeats: number,
): Promise<Record<string, ColdStart>> {
  const dir = mkdtempSync(join(tmpdir(), "ongoing-webhooks-empty-"));
  try {
    const baselineFile = await bundleEmptyHandler(dir);
    const names = placeholderNames(assembly);
    const results: Record<string, ColdStart> = {};
    for (const [id, resource] of resourcesOfType(assembly.template, "AWS::Lambda::Function")) {
      const meta = metadataOf(resource);
      if (!meta || !["consumer", "authorizer", "reconcile"].includes(meta.kind)) continue;
      const name = meta.useCase ?? meta.kind;
      const code = resource.Properties?.Code as { S3Key?: unknown } | undefined;
      const assetPath = resource.Metadata?.["aws:asset:path"];
      const codeDir =
        assembly.assetDirs.get(String(resolve(code?.S3Key, names))) ??
        (typeof assetPath === "string" ? join(assembly.dir, assetPath) : undefined);
      if (!codeDir) throw new Error(`no bundle for function ${id}`);
      const file = handlerFile(codeDir, String(resource.Properties?.Handler ?? "index.handler"));
      if (!readFileSync(file, "utf8").startsWith(esmRequireBanner))
        throw new Error(`${file} was not bundled with the banner this benchmark's baseline uses`);
      const environment = functionEnvironment(resource, names);
      const own: { initMs: number; processReadyMs: number }[] = [];
      const baseline: { initMs: number; processReadyMs: number }[] = [];
      for (let run = 0; run < repeats; run++) {
        own.push(await timeOnce(file, environment));
        baseline.push(await timeOnce(baselineFile, environment));
      }
      const median = (
        values: { initMs: number; processReadyMs: number }[],
        key: "initMs" | "processReadyMs",
      ) =>
        round(
          percentile(
            values.map((value) => value[key]),
            50,
          ),
        );
      results[name] = {
        bundleBytes: statSync(file).size,
        initMs: median(own, "initMs"),
        baselineInitMs: median(baseline, "initMs"),
        processReadyMs: median(own, "processReadyMs"),
        baselineProcessReadyMs: median(baseline, "processReadyMs"),
      };
    }
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
