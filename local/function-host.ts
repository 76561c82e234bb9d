/**
 * One Lambda "container" of the local stack, run as its own child process so its environment is its own:
 * loads the function's bundle (the same file Lambda runs), then serves invocations from the parent over IPC
 * and, for a queue consumer, runs the SQS event source inside itself.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Context, Handler } from "aws-lambda";
import { type SqsPoller, startSqsPoller } from "./sqs-poller.ts";

/** What the parent tells the host (env `LOCAL_FUNCTION_HOST`, JSON). */
export interface FunctionHostConfig {
  readonly functionName: string;
  /** The bundle directory (the function's Code asset in cdk.out). */
  readonly codeDir: string;
  /** The template's Handler, e.g. `index.handler`. */
  readonly handler: string;
  readonly timeoutMs: number;
  readonly memoryMb: number;
  readonly eventSource?: {
    readonly queueUrl: string;
    readonly queueArn: string;
    readonly batchSize: number;
    /** The mapping's `MaximumBatchingWindowInSeconds` (0 when not set). */
    readonly batchingWindowSeconds: number;
    readonly maxConcurrency: number;
    readonly sqsEndpoint: string;
  };
}

export type HostRequest =
  | { type: "invoke"; id: number; event: unknown }
  | { type: "event-source"; id: number; enabled: boolean }
  | { type: "stop" };
export type HostReply =
  | { type: "ready" }
  | { type: "result"; id: number; ok: true; value: unknown }
  | { type: "result"; id: number; ok: false; error: { name: string; message: string } }
  | { type: "stopped" };

/** Lambda's lookup of `file.export`: the first of .js, .mjs, .cjs that exists. */
export function handlerFile(codeDir: string, handler: string): { file: string; exportName: string } {
  const dot = handler.lastIndexOf(".");
  const base = handler.slice(0, dot);
  const exportName = handler.slice(dot + 1);
  for (const extension of [".js", ".mjs", ".cjs"]) {
    const file = join(codeDir, `${base}${extension}`);
    if (existsSync(file)) return { file, exportName };
  }
  throw new Error(`no ${base}.js/.mjs/.cjs in ${codeDir} (handler ${handler})`);
}

function context(config: FunctionHostConfig, requestId: number): Context {
  const deadline = Date.now() + config.timeoutMs;
  const region = process.env.AWS_REGION ?? "eu-west-1";
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: config.functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${config.functionName}`,
    memoryLimitInMB: String(config.memoryMb),
    awsRequestId: `local-${process.pid}-${requestId}`,
    logGroupName: `/aws/lambda/${config.functionName}`,
    logStreamName: `local/[$LATEST]${process.pid}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

async function main(): Promise<void> {
  const config = JSON.parse(process.env.LOCAL_FUNCTION_HOST ?? "{}") as FunctionHostConfig;
  delete process.env.LOCAL_FUNCTION_HOST;
  const send = (reply: HostReply) => process.send?.(reply);
  const { file, exportName } = handlerFile(config.codeDir, config.handler);
  const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const handler = module[exportName] as Handler | undefined;
  if (typeof handler !== "function") throw new Error(`${file} exports no function "${exportName}"`);

  let poller: SqsPoller | undefined;
  if (config.eventSource) {
    poller = await startSqsPoller({
      queueUrl: config.eventSource.queueUrl,
      eventSourceArn: config.eventSource.queueArn,
      handler,
      batchSize: config.eventSource.batchSize,
      batchingWindowSeconds: config.eventSource.batchingWindowSeconds,
      maxConcurrency: config.eventSource.maxConcurrency,
      functionTimeoutMs: config.timeoutMs,
      functionName: config.functionName,
      endpoint: config.eventSource.sqsEndpoint,
      onError: (error) =>
        console.error(`${config.functionName}:`, error instanceof Error ? error.message : error),
    });
  }

  const stop = async () => {
    await poller?.stop();
    send({ type: "stopped" });
    process.disconnect?.();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => undefined);
  process.on("message", (request: HostRequest) => {
    if (request.type === "stop") return void stop();
    if (request.type === "event-source") {
      const { id } = request;
      Promise.resolve(poller?.setEnabled(request.enabled)).then(
        () => send({ type: "result", id, ok: true, value: null }),
        (error: unknown) =>
          send({ type: "result", id, ok: false, error: { name: "Error", message: String(error) } }),
      );
      return;
    }
    const { id, event } = request;
    Promise.resolve()
      .then(() => handler(event, context(config, id), () => undefined))
      .then(
        (value: unknown) => send({ type: "result", id, ok: true, value: value ?? null }),
        (error: unknown) => {
          const { name = "Error", message = String(error) } = error instanceof Error ? error : {};
          send({ type: "result", id, ok: false, error: { name, message } });
        },
      );
  });
  send({ type: "ready" });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
