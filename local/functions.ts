/**
 * Starts and talks to function hosts (`function-host.ts`): one child process per function, with only the
 * function's own environment, invoked over IPC like Lambda's Invoke.
 */
import { type ChildProcess, fork } from "node:child_process";
import { createInterface } from "node:readline";
import type { FunctionHostConfig, HostReply, HostRequest } from "./function-host.ts";

export interface LocalFunction {
  readonly name: string;
  /** Invokes the handler with an event; rejects with the handler's error (name and message kept). */
  invoke(event: unknown): Promise<unknown>;
  /** Disables or enables the function's SQS event source (see `SqsPoller.setEnabled`); none: nothing happens. */
  setEventSourceEnabled(enabled: boolean): Promise<void>;
  stop(): Promise<void>;
}

export type LogSink = (functionName: string, line: string) => void;

export interface StartFunctionOptions {
  readonly config: FunctionHostConfig;
  /** The whole environment of the container (nothing is inherited from this process). */
  readonly environment: Record<string, string>;
  /** Where the function's stdout/stderr lines go. @default dropped */
  readonly log?: LogSink;
}

const hostPath = new URL("./function-host.ts", import.meta.url).pathname;
const stopGraceMs = 5_000;

/** A handler's error, carried back from its process with its name (e.g. "Unauthorized" from an authorizer). */
export class FunctionError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export async function startFunction(options: StartFunctionOptions): Promise<LocalFunction> {
  const { config, log } = options;
  const child: ChildProcess = fork(hostPath, [], {
    execArgv: ["--import", "tsx"],
    env: { ...options.environment, LOCAL_FUNCTION_HOST: JSON.stringify(config) },
    stdio: ["ignore", "pipe", "pipe", "ipc"],
    serialization: "advanced",
  });
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    const lines = createInterface({ input: stream });
    lines.on("line", (line) => log?.(config.functionName, line));
  }
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  await new Promise<void>((resolve, reject) => {
    const onExit = (code: number | null) =>
      reject(new Error(`function ${config.functionName} exited (${code}) before it was ready`));
    child.once("exit", onExit);
    child.on("message", (reply: HostReply) => {
      if (reply.type === "ready") {
        child.off("exit", onExit);
        resolve();
      } else if (reply.type === "result") {
        const waiter = pending.get(reply.id);
        pending.delete(reply.id);
        if (reply.ok) waiter?.resolve(reply.value);
        else waiter?.reject(new FunctionError(reply.error.name, reply.error.message));
      }
    });
  });
  child.once("exit", () => {
    for (const waiter of pending.values()) waiter.reject(new Error(`function ${config.functionName} exited`));
    pending.clear();
  });

  const request = (message: (id: number) => HostRequest): Promise<unknown> => {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      child.send(message(id));
    });
  };

  return {
    name: config.functionName,
    invoke(event) {
      return request((id) => ({ type: "invoke", id, event }));
    },
    async setEventSourceEnabled(enabled) {
      await request((id) => ({ type: "event-source", id, enabled }));
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.send({ type: "stop" } satisfies HostRequest);
      else child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), stopGraceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
