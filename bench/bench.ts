/**
 * `npm run bench [-- --quick] [--webhooks N] [--transport-webhooks N] [--article-webhooks N] [--latency MS] [--concurrency N] [--ses-rate N] [--repeats N]
 * [--reuse-assembly] [--only <use-case>]… [--reconcile-articles N] [--reconcile-goods-owners N] [--reconcile-timeout S]`: each use-case through the local
 * pipeline against the Ongoing simulator with a set latency, the article reconcile over a simulated catalogue
 * (bench/reconcile.ts; `--only reconcile` runs just that), then each function's bundle size and cold-start proxy. `--only` (repeatable) runs just the named use-cases and
 * skips the cold starts. `--ses-rate` sets the stack's SES sending rate
 * (`email.maxSendRate`, default the configuration's), which SES's stand-in enforces as the account's quota.
 * `-c ongoingWebhooks.<path>=<value>` (repeatable) benchmarks another configuration, as `cdk synth -c` takes it. Prints a table, writes a JSON file to bench-results/ and
 * prints its path on the last line.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { runWhenMain } from "../devkit/cli.ts";
import { startPipeline, stopOnSignal } from "../devkit/pipeline.ts";
import { projectRoot } from "../local/synth.ts";
import { type ColdStart, measureColdStarts } from "./cold-start.ts";
import { benchReconcile, type ReconcileBenchResult } from "./reconcile.ts";
import {
  benchArticleSync,
  benchEntry,
  benchOrderShippedEmail,
  benchTransportBooking,
  type RunSettings,
  type UseCaseResult,
} from "./use-cases.ts";

export interface BenchResult {
  command: string;
  startedAt: string;
  /** Load averages (1, 5, 15 min) when the run began and ended: other work on the machine skews the figures. */
  machine: { node: string; cpus: number; cpuModel: string; loadAtStart: number[]; loadAtEnd: number[] };
  settings: RunSettings & { maxConcurrency: number | "configured" };
  useCases: Record<string, UseCaseResult>;
  /** The article reconcile over a simulated catalogue: full, incremental and full again. */
  reconcile?: ReconcileBenchResult;
  functions: Record<string, ColdStart>;
  personalDataInLogs: { lines: number; leaks: number };
}

export function table(rows: Record<string, unknown>[]): string {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const cells = rows.map((row) => columns.map((column) => String(row[column] ?? "")));
  const widths = columns.map((column, index) =>
    Math.max(column.length, ...cells.map((row) => (row[index] ?? "").length)),
  );
  const line = (values: string[]) =>
    values.map((value, index) => value.padEnd(widths[index] ?? 0)).join("  ");
  return [line(columns), line(widths.map((width) => "-".repeat(width))), ...cells.map(line)].join("\n");
}

export function writeResults(name: string, result: unknown): string {
  const dir = join(projectRoot, "bench-results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

type BenchedName = (typeof useCaseNames)[number];

interface BenchOptions {
  quick: boolean;
  webhooks: number;
  bookings: number;
  articles: number;
  latencyMs: number;
  maxConcurrency: number | undefined;
  repeats: number;
  /** `cdk synth -c` values for the benchmarked stack. */
  context: Record<string, unknown>;
  /** The use-cases `--only` named (none: all). */
  only: Set<string>;
  reuseAssembly: boolean;
  reconcile: { goodsOwners: number; articles: number; timeoutSeconds?: number };
}

const wanted = (options: BenchOptions, name: BenchedName) =>
  options.only.size === 0 || options.only.has(name);

/** The command line as options, or the message that refuses it. */
function parseOptions(argv: string[]): BenchOptions | string {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean", default: false },
      webhooks: { type: "string" },
      latency: { type: "string", default: "50" },
      concurrency: { type: "string" },
      "ses-rate": { type: "string" },
      "transport-webhooks": { type: "string" },
      "article-webhooks": { type: "string" },
      repeats: { type: "string" },
      "reuse-assembly": { type: "boolean", default: false },
      context: { type: "string", short: "c", multiple: true },
      only: { type: "string", multiple: true },
      "reconcile-articles": { type: "string" },
      "reconcile-goods-owners": { type: "string" },
      "reconcile-timeout": { type: "string" },
    },
  });
  const quick = values.quick ?? false;
  const webhooks = Number(values.webhooks ?? (quick ? 30 : 400));
  // Write-backs run one at a time per goods owner, so bookings are slow by design: fewer of them, same figures.
  const bookings = Number(values["transport-webhooks"] ?? Math.min(webhooks, quick ? 15 : 100));
  // Articles flow fastest: at hundreds a second a run of --webhooks is over in a second, too short to tell the
  // pace from the first batch's start and the last one's end. Five times as many, unless told.
  const articles = Number(values["article-webhooks"] ?? webhooks * 5);
  for (const [flag, count] of [
    ["--webhooks", webhooks],
    ["--transport-webhooks", bookings],
    ["--article-webhooks", articles],
  ] as const) {
    if (!Number.isInteger(count) || count < 1 || count > backlogIdOffset) {
      return `${flag} takes a whole number from 1 to ${backlogIdOffset}`;
    }
  }
  const maxConcurrency = values.concurrency ? Number(values.concurrency) : undefined;
  const sesRate = values["ses-rate"] ? Number(values["ses-rate"]) : undefined;
  const context: Record<string, unknown> = Object.fromEntries(
    (values.context ?? []).map((pair) => {
      const at = pair.indexOf("=");
      if (at < 1) throw new Error(`--context takes key=value, got ${pair}`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
  if (sesRate) context["ongoingWebhooks.email.maxSendRate"] = sesRate;
  const only = new Set(values.only ?? []);
  const unknown = [...only].filter((name) => !useCaseNames.includes(name as BenchedName));
  if (unknown.length > 0) return `--only takes ${useCaseNames.join(", ")}; not ${unknown.join(", ")}`;
  if (values["reuse-assembly"] && (Object.keys(context).length > 0 || maxConcurrency !== undefined)) {
    return "--reuse-assembly runs the last synthesized template: drop it to apply --ses-rate, -c or --concurrency";
  }
  const reconcile = {
    goodsOwners: Number(values["reconcile-goods-owners"] ?? 10),
    articles: Number(values["reconcile-articles"] ?? (quick ? 10_000 : 100_000)),
    // A shorter worker time-out than the configured 900 s makes units continue in further slices.
    ...(values["reconcile-timeout"] ? { timeoutSeconds: Number(values["reconcile-timeout"]) } : {}),
  };
  const badReconcile =
    !Number.isInteger(reconcile.goodsOwners) ||
    reconcile.goodsOwners < 1 ||
    !Number.isInteger(reconcile.articles) ||
    reconcile.articles < reconcile.goodsOwners;
  if ((only.size === 0 || only.has("reconcile")) && badReconcile) {
    return "--reconcile-goods-owners and --reconcile-articles take whole numbers, articles ≥ goods owners";
  }
  return {
    quick,
    webhooks,
    bookings,
    articles,
    latencyMs: Number(values.latency),
    maxConcurrency,
    repeats: Number(values.repeats ?? (quick ? 3 : 7)),
    context,
    only,
    reuseAssembly: values["reuse-assembly"] ?? false,
    reconcile,
  };
}

function benchReconcileRun(options: BenchOptions): Promise<ReconcileBenchResult> {
  const { goodsOwners, articles, timeoutSeconds } = options.reconcile;
  console.error(
    `reconcile: ${articles} articles over ${goodsOwners} goods owners at ${options.latencyMs} ms…`,
  );
  return benchReconcile({
    goodsOwners,
    articlesPerGoodsOwner: Math.floor(articles / goodsOwners),
    latencyMs: options.latencyMs,
    ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
  });
}

/** Each wanted use-case through the local pipeline: a burst, then a backlog of the same size on fresh ids. */
async function benchUseCases(options: BenchOptions) {
  const { webhooks, bookings, articles, quick } = options;
  console.error(`synthesizing and starting the local pipeline…`);
  const pipeline = await startPipeline({
    // What a deployment logs: the scan for personal data covers those lines (the fault and load runs scan DEBUG).
    logLevel: undefined,
    // Ongoing answers from elsewhere, not from the emulators' event loop.
    ongoingProcess: true,
    reuseAssembly: options.reuseAssembly,
    ...(options.maxConcurrency ? { maxConcurrency: options.maxConcurrency } : {}),
    context: options.context,
  });
  stopOnSignal(pipeline);
  // SES's quota is the rate the stack is configured to pace itself to: the proxy in front of SES enforces it.
  const sesRatePerSec = pipeline.sesMaxSendRate;
  const settings: RunSettings = {
    webhooks,
    latencyMs: options.latencyMs,
    ...(sesRatePerSec ? { sesRatePerSec } : {}),
    timeoutMs: Math.max(
      quick ? 15_000 : 60_000,
      webhooks * 500,
      sesRatePerSec ? (4_000 * webhooks) / sesRatePerSec : 0,
    ),
  };
  const runs: Array<[BenchedName, RunSettings, typeof benchOrderShippedEmail, number]> = [
    ["order-shipped-email", settings, benchOrderShippedEmail, 100_000],
    [
      "transport-booking",
      {
        ...settings,
        webhooks: bookings,
        timeoutMs: Math.max(settings.timeoutMs, bookings * 4 * settings.latencyMs * 2),
      },
      benchTransportBooking,
      200_000,
    ],
    [
      "article-sync",
      { ...settings, webhooks: articles, timeoutMs: Math.max(settings.timeoutMs, articles * 100) },
      benchArticleSync,
      400_000,
    ],
  ];
  const useCases: Record<string, UseCaseResult> = {};
  try {
    await pipeline.ongoing.setLatency(settings.latencyMs);
    for (const [name, runSettings, run, firstId] of runs) {
      if (!wanted(options, name)) continue;
      console.error(`${name}: ${runSettings.webhooks} webhooks as a burst…`);
      const burst = await run(pipeline, runSettings, firstId, "burst");
      console.error(`${name}: ${runSettings.webhooks} webhooks as a backlog…`);
      const backlog = await run(pipeline, runSettings, firstId + backlogIdOffset, "backlog");
      useCases[name] = benchEntry(burst, backlog);
    }
  } finally {
    await pipeline.stop();
  }
  return { pipeline, settings, useCases };
}

async function main(argv: string[]): Promise<number> {
  const loadAtStart = loadavg().map((value) => round1(value));
  const options = parseOptions(argv);
  if (typeof options === "string") {
    console.error(options);
    return 2;
  }
  // The reconcile needs no webhook pipeline: `--only reconcile` starts none.
  const reconcile = wanted(options, "reconcile") ? await benchReconcileRun(options) : undefined;
  const webhookRuns = useCaseNames.filter((name) => name !== "reconcile" && wanted(options, name));
  if (webhookRuns.length === 0) {
    return report(argv, {
      loadAtStart,
      useCases: {},
      functions: {},
      reconcile,
      logs: { lines: 0, leaks: 0 },
    });
  }
  const { pipeline, settings, useCases } = await benchUseCases(options);
  // A partial run (--only) is for iterating on one use-case: it leaves the cold starts out.
  const functions: Record<string, ColdStart> = {};
  if (options.only.size === 0) {
    console.error(`cold starts (${options.repeats} runs each)…`);
    Object.assign(functions, await measureColdStarts(pipeline.stack.assembly, options.repeats));
  }
  return report(argv, {
    loadAtStart,
    settings: { ...settings, maxConcurrency: options.maxConcurrency ?? "configured" },
    useCases,
    functions,
    reconcile,
    logs: { lines: pipeline.logs.lines, leaks: pipeline.logs.leaks.length },
  });
}

/** Prints the tables and writes the JSON file (its path on the last line). */
function report(
  argv: string[],
  run: {
    loadAtStart: number[];
    settings?: BenchResult["settings"];
    useCases: Record<string, UseCaseResult>;
    functions: Record<string, ColdStart>;
    reconcile: ReconcileBenchResult | undefined;
    logs: { lines: number; leaks: number };
  },
): number {
  const { loadAtStart, useCases, functions } = run;
  const result: BenchResult = {
    command: `npm run bench -- ${argv.join(" ")}`.trim(),
    startedAt: new Date().toISOString(),
    machine: {
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? "unknown",
      loadAtStart,
      loadAtEnd: loadavg().map((value) => round1(value)),
    },
    settings: run.settings ?? ({} as BenchResult["settings"]),
    useCases,
    ...(run.reconcile ? { reconcile: run.reconcile } : {}),
    functions,
    personalDataInLogs: run.logs,
  };
  if (Object.keys(useCases).length > 0)
    console.log(
      table(
        Object.entries(useCases).map(([name, r]) => ({
          "use-case": name,
          webhooks: r.webhooks,
          bound: r.boundPerSec,
          "per s": r.throughputPerSec,
          "% bound": `${Math.round((100 * r.throughputPerSec) / r.boundPerSec)}%`,
          "steady per s": r.steadyPerSec,
          "burst per s": r.burst?.throughputPerSec ?? "",
          "burst % bound": r.burst ? `${r.burst.percentOfBound}%` : "",
          "ingress per s": r.burst?.ingressPerSec ?? r.ingressPerSec,
          "p50 ms": r.p50Ms,
          "p99 ms": r.p99Ms,
          "Ongoing calls/webhook": r.ongoingCallsPerWebhook,
          "reads/webhook": r.ongoingReadsPerWebhook,
          "batch cycle ms": r.batchCycleMs,
          "local services CPU": `${r.localServicesCpuPercent}%`,
          // Both runs: every accepted webhook is accounted for.
          DLQ: r.deadLettered + (r.backlog?.deadLettered ?? 0),
          lost:
            r.drained && (r.backlog?.drained ?? true)
              ? r.lost + (r.backlog?.lost ?? 0)
              : `${r.lost + (r.backlog?.lost ?? 0)} (not drained)`,
        })),
      ),
    );
  for (const [name, r] of Object.entries(useCases)) console.log(`${name}: bound = ${r.boundBasis}`);
  const articleExtra = useCases["article-sync"]?.extra;
  if (articleExtra) console.log(`article-sync: ${JSON.stringify(articleExtra)}`);
  console.log();
  if (Object.keys(functions).length > 0)
    console.log(
      table(
        Object.entries(functions).map(([name, f]) => ({
          function: name,
          "bundle KiB": round1(f.bundleBytes / 1024),
          "init ms": f.initMs,
          "empty init ms": f.baselineInitMs,
          "ready ms": f.processReadyMs,
          "empty ready ms": f.baselineProcessReadyMs,
        })),
      ),
    );
  console.log(
    `\nmachine load average (1/5/15 min): ${loadAtStart.join(" ")} at start, ${result.machine.loadAtEnd.join(" ")} at end`,
  );
  console.log(
    `log lines scanned for personal data: ${result.personalDataInLogs.lines}, leaks: ${result.personalDataInLogs.leaks}`,
  );
  if (run.reconcile) {
    const r = run.reconcile;
    console.log(
      `\nreconcile: ${r.articles} articles over ${r.goodsOwners} goods owners, Ongoing at ${r.latencyMs} ms, pages of ${r.pageSize}, ${r.maxConcurrency} units at once`,
    );
    console.log(
      table(
        r.runs.map((one) => ({
          run: one.mode,
          before: one.before,
          s: one.seconds,
          "articles/s": one.articlesPerSecond,
          "Ongoing calls": one.ongoingCalls,
          "mirror reads (items)": `${one.dynamoDb.articles.readRequests} (${one.dynamoDb.articles.itemsRead})`,
          "mirror writes": one.dynamoDb.articles.writeRequests,
          "state reads/writes": `${one.dynamoDb.state.readRequests}/${one.dynamoDb.state.writeRequests}`,
          "units/slices": `${one.units}/${one.slices}`,
          "longest invocation": `${one.longestInvocationSeconds} s (${one.longestInvocationPercentOfTimeout}%)`,
          "near limit": one.nearTimeLimit ? "yes" : "no",
          reconciled: (one.counts.created ?? 0) + (one.counts.updated ?? 0) + (one.counts.deleted ?? 0),
          DLQ: one.deadLettered,
        })),
      ),
    );
  }
  console.log(writeResults("bench", result));
  return 0;
}

const useCaseNames = ["order-shipped-email", "transport-booking", "article-sync", "reconcile"] as const;
/** The backlog run's ids start this far after the burst's, so the two never share an order or article (and no
 * run may hold more webhooks than this). */
const backlogIdOffset = 50_000;

const round1 = (value: number) => Math.round(value * 10) / 10;

runWhenMain(import.meta, main);
