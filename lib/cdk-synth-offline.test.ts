/**
 * `npx cdk synth` works offline with no AWS account: the real CLI, bundling and cdk-nag included, with every
 * AWS credential and profile variable removed and HOME pointed at an empty directory (no ~/.aws config or
 * credentials to fall back on). A lookup or anything else that needs an account would fail here.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";

const repo = fileURLToPath(new URL("..", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "cdk-synth-offline-"));

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** The environment without anything that could point the CLI at an AWS account. */
function offlineEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    // AWS_* covers the keys, session token, profile, region and config/credential file paths; CDK_DEFAULT_*
    // would be the account and region a previous CLI run found.
    if (/^(AWS_|CDK_DEFAULT_)/.test(name)) continue;
    env[name] = value;
  }
  return { ...env, HOME: home, USERPROFILE: home };
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(command, args, { cwd: repo, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

it("synthesizes with the real CLI and no AWS credentials, profile, region or home config", async () => {
  const home = mkdtempSync(join(scratch, "home-"));
  const outdir = join(scratch, "cdk.out");
  const env = offlineEnv(home);
  expect(Object.keys(env).filter((name) => name.startsWith("AWS_"))).toEqual([]);

  const { code, output } = await run("npx", ["cdk", "synth", "-q", "-o", outdir], env);

  expect(code, output).toBe(0);
  const templateFile = join(outdir, "OngoingWebhooks.template.json");
  expect(existsSync(templateFile), output).toBe(true);
  const template = JSON.parse(readFileSync(templateFile, "utf8")) as { Resources: Record<string, unknown> };
  expect(Object.keys(template.Resources).length).toBeGreaterThan(0);
}, 120_000);
