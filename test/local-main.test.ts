/**
 * `npm start` itself (package.json: `node --import tsx local/main.ts`), as a user runs it: every port moved by its
 * variable, the table of what runs where, a live ingress, and a clean stop on SIGTERM that frees every port.
 * Slow (it synthesizes the CDK app into .local/cdk.out, as npm start does), hence its own file, which vitest runs
 * beside the other local-stack tests.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer, type Server } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { type PortName, portVariables } from "../local/settings.ts";
import { projectRoot } from "../local/synth.ts";

const host = "127.0.0.1";
let child: ChildProcess | undefined;

afterAll(() => {
  // Only if the test failed half-way: the stack must not outlive the run.
  if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

const listening = (server: Server, port: number) =>
  new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
const closed = (server: Server) => new Promise((resolve) => server.close(resolve));

/** Distinct free ports: all held open together while they are picked, then released. */
async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  await Promise.all(servers.map((server) => listening(server, 0)));
  const ports = servers.map((server) => {
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    return address.port;
  });
  await Promise.all(servers.map(closed));
  return ports;
}

/** Whether a port can be listened on again, i.e. nothing holds it. */
async function isFree(port: number): Promise<boolean> {
  const server = createServer();
  try {
    await listening(server, port);
    await closed(server);
    return true;
  } catch {
    return false;
  }
}

describe("npm start", () => {
  it("stops at once with one line naming the taken port and its variable", async () => {
    const names = Object.keys(portVariables) as PortName[];
    const blocker = createServer();
    await listening(blocker, 0);
    const address = blocker.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.ONGOING_BASE_URL;
    for (const name of names) env[portVariables[name].variable] = "0";
    env.SES_PORT = String(address.port);
    try {
      const run = spawn(process.execPath, ["--import", "tsx", "local/main.ts"], {
        cwd: projectRoot,
        env,
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      run.stderr?.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const code = await new Promise<number | null>((resolve) => run.once("exit", resolve));
      expect(code).toBe(1);
      // The message alone, no stack trace: it comes before the synthesis, so this takes about a second.
      // Node's own warnings (e.g. ExperimentalWarning) aside, only the message.
      const lines = stderr
        .split("\n")
        .filter((line) => line.trim() !== "" && !/Warning|--trace-warnings/.test(line));
      expect(lines).toEqual([
        `port ${address.port} (ses) is already in use: stop what uses it or set SES_PORT to another port`,
      ]);
    } finally {
      await closed(blocker);
    }
  });

  it("prints where everything runs on the ports it was given, and stops cleanly on SIGTERM", async () => {
    const names = Object.keys(portVariables) as PortName[];
    const chosen = await freePorts(names.length);
    const ports = Object.fromEntries(names.map((name, index) => [name, chosen[index] as number])) as Record<
      PortName,
      number
    >;
    const env: NodeJS.ProcessEnv = { ...process.env };
    // The simulator, not an Ongoing from the caller's environment.
    for (const variable of ["ONGOING_BASE_URL", "LOCAL_HOST", "LOCAL_INGRESS_URL", "WEBHOOK_TOKEN"])
      delete env[variable];
    for (const name of names) env[portVariables[name].variable] = String(ports[name]);

    const started = spawn(process.execPath, ["--import", "tsx", "local/main.ts"], {
      cwd: projectRoot,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = started;
    let stdout = "";
    let stderr = "";
    started.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    started.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      started.once("exit", (code, signal) => resolve({ code, signal })),
    );

    // The table is printed once everything listens; "Ctrl-C stops everything." ends it.
    const ready = await Promise.race([
      new Promise<boolean>((resolve) => {
        const check = () => {
          if (stdout.includes("Ctrl-C stops everything.")) resolve(true);
        };
        started.stdout?.on("data", check);
        check();
      }),
      exited.then(() => false),
    ]);
    expect(ready, `npm start exited early:\n${stdout}\n${stderr}`).toBe(true);

    const ingress = `http://${host}:${ports.ingress}`;
    expect(stdout).toMatch(/Local stack ready in [\d.]+ s/);
    expect(stdout).toMatch(new RegExp(`ingress \\(API Gateway\\)\\s+${ingress}/webhooks/<route>`));
    expect(stdout).toContain(`http://${host}:${ports.sqs}`);
    expect(stdout).toContain(`http://${host}:${ports.ongoing}`);
    // The ingress it names answers.
    const status = (await (await fetch(`${ingress}/_local/status`)).json()) as {
      endpoints: { ingress: string };
    };
    expect(status.endpoints.ingress).toBe(ingress);

    started.kill("SIGTERM");
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(stdout).toContain("SIGTERM: stopping the local stack");
    for (const name of names) expect({ name, free: await isFree(ports[name]) }).toEqual({ name, free: true });
  }, 180_000);
});
