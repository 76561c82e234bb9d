/**
 * What one measured use-case run yields: its figures (throughput, the bound it is measured against and why,
 * latencies, Ongoing calls, dead letters, losses) and a bench entry from a burst and a backlog run.
 */
import { totalCalls } from "../devkit/ongoing.ts";
import type { Pipeline } from "../devkit/pipeline.ts";
import { percentile, round } from "../devkit/webhooks.ts";
import { ongoingFetchesPerBatch } from "../functions/article-sync/observe.ts";
import type { UseCase } from "../functions/shared/contract/routes.ts";

/**
 * Ongoing requests one batch has under way at once: the pipeline's records-at-once default for mail and
 * transport (one request each at a time), article-sync's fetch slots (the same number) for articles.
 */
export const ongoingCallsInFlightPerBatch = ongoingFetchesPerBatch;

export interface UseCaseResult {
  webhooks: number;
  accepted: number;
  throughputPerSec: number;
  /** How fast the ingress accepted the burst (202s per second), for telling where the time went. */
  ingressPerSec: number;
  /**
   * Effects per second between the 10th and the 90th percentile effect: the pace once the containers are warm
   * and before the burst's last, partly filled batches. Beside `throughputPerSec`, it tells the pipeline's
   * steady pace from its start-up and tail.
   */
  steadyPerSec: number;
  boundPerSec: number;
  boundBasis: string;
  p50Ms: number;
  p99Ms: number;
  ongoingCallsPerWebhook: number;
  ongoingReadsPerWebhook: number;
  /** Records in flight ÷ throughput: how long one batch really takes, Ongoing's latency and everything else. */
  batchCycleMs: number;
  completed: number;
  /**
   * CPU used by this process (ingress stand-in, SQS, DynamoDB, SES, Ongoing and transport simulators all run in
   * it) as a share of one core over the run: near 100 % means the local emulators, not the consumers, set the pace.
   */
  localServicesCpuPercent: number;
  deadLettered: number;
  /** Accepted webhooks with neither an effect nor a dead letter once the queue drained. */
  lost: number;
  /** Whether the queue drained within the time-out (if not, `lost` counts webhooks still in progress). */
  drained: boolean;
  extra?: Record<string, unknown>;
  /** The same use-case working off a backlog (see `RunMode`), when the bench ran one. */
  backlog?: BacklogResult;
  /** The burst's own pace, when this result is a bench entry (see `benchEntry`). */
  burst?: BurstResult;
}

/** A burst run's pace, end to end: the local ingress stand-in included. */
export type BurstResult = Pick<UseCaseResult, "throughputPerSec" | "steadyPerSec" | "ingressPerSec"> & {
  percentOfBound: number;
};

/**
 * A use-case's bench entry from its two runs. `throughputPerSec` and `steadyPerSec` are the backlog's: the
 * consumer's own pace, which is what the bound describes (the burst's also counts the local ingress, which here
 * takes about as many webhooks a second as article-sync's bound). The latencies and Ongoing calls are the
 * burst's; `burst` and `backlog` keep each run's figures.
 */
export function benchEntry(burst: UseCaseResult, backlog: UseCaseResult): UseCaseResult {
  return {
    ...burst,
    throughputPerSec: backlog.throughputPerSec,
    steadyPerSec: backlog.steadyPerSec,
    burst: {
      throughputPerSec: burst.throughputPerSec,
      steadyPerSec: burst.steadyPerSec,
      ingressPerSec: burst.ingressPerSec,
      percentOfBound: Math.round((100 * burst.throughputPerSec) / burst.boundPerSec),
    },
    backlog: backlogResult(backlog),
  };
}

/** A backlog run's figures: the consumer's own pace against the same bound (time from 202 means nothing here). */
export type BacklogResult = Pick<
  UseCaseResult,
  | "webhooks"
  | "throughputPerSec"
  | "steadyPerSec"
  | "ongoingCallsPerWebhook"
  | "localServicesCpuPercent"
  | "deadLettered"
  | "lost"
  | "drained"
> & { percentOfBound: number };

export function backlogResult(run: UseCaseResult): BacklogResult {
  return {
    webhooks: run.webhooks,
    throughputPerSec: run.throughputPerSec,
    steadyPerSec: run.steadyPerSec,
    percentOfBound: Math.round((100 * run.throughputPerSec) / run.boundPerSec),
    ongoingCallsPerWebhook: run.ongoingCallsPerWebhook,
    localServicesCpuPercent: run.localServicesCpuPercent,
    deadLettered: run.deadLettered,
    lost: run.lost,
    drained: run.drained,
  };
}

export interface RunSettings {
  readonly webhooks: number;
  readonly latencyMs: number;
  /** SES's sending rate the proxy enforces, per second. @default none (the local SES has no limit) */
  readonly sesRatePerSec?: number;
  readonly timeoutMs: number;
}

const readOperations = new Set([
  "getOrder",
  "getArticle",
  "findOrderByNumber",
  "listArticles",
  "getOrderStatuses",
  "getOrderFiles",
  "GetOrdersByQuery",
  "GetFileList",
]);
const reads = (calls: Record<string, number>) =>
  Object.entries(calls)
    .filter(([operation]) => readOperations.has(operation))
    .reduce((sum, [, count]) => sum + count, 0);

export interface Measured {
  cpu: { usage: NodeJS.CpuUsage; wallMs: number };
  /** key → when its effect happened (epoch ms) */
  effects: Map<number, number>;
  deadLetterKeys: Set<number>;
  drained: boolean;
}

/** One measured run: what was sent, when, what the ingress answered, and what came of it. */
export interface Run {
  useCase: UseCase;
  pipeline: Pipeline;
  settings: RunSettings;
  /** The order or article ids, one per webhook, in the order they were sent. */
  keys: number[];
  startedAt: number;
  answers: { status: number; answeredAt: number }[];
  measured: Measured;
  /** Ongoing's calls during the run, by operation. */
  calls: Record<string, number>;
}

/** The throughput the consumer cannot beat, and why: Ongoing's requests in flight, serialized writes or SES's rate. */
function boundOf(run: Run, inFlight: number): { bound: number; basis: string } {
  const { useCase, pipeline, settings, keys, calls } = run;
  const consumer = pipeline.consumers[useCase];
  const latency = settings.latencyMs / 1000;
  const readsPerWebhook = reads(calls) / keys.length;
  const writesPerWebhook = (totalCalls(calls) - reads(calls)) / keys.length;
  const readBound = inFlight / (Math.max(readsPerWebhook, 1) * latency);
  let bound = readBound;
  let basis = `${inFlight} Ongoing requests in flight (${consumer.maxConcurrency} concurrent batches × ${Math.min(consumer.batchSize, ongoingCallsInFlightPerBatch)}) ÷ ${settings.latencyMs} ms Ongoing latency`;
  if (writesPerWebhook > 0) {
    // Ongoing's writes run one at a time per goods owner and container; locally one process is one container.
    const writeBound = 1 / (writesPerWebhook * latency);
    if (writeBound < bound) {
      bound = writeBound;
      basis = `1 container ÷ (${round(writesPerWebhook, 2)} serialized write-backs × ${settings.latencyMs} ms Ongoing latency)`;
    }
  }
  if (
    useCase === "order-shipped-email" &&
    settings.sesRatePerSec !== undefined &&
    settings.sesRatePerSec < bound
  ) {
    bound = settings.sesRatePerSec;
    basis = `SES sending rate ${settings.sesRatePerSec}/s`;
  }
  return { bound, basis };
}

export function summarise(run: Run): UseCaseResult {
  const { useCase, pipeline, keys, startedAt, answers, measured, calls } = run;
  const acceptedAt = new Map<number, number>();
  keys.forEach((key, index) => {
    const answer = answers[index];
    if (answer && answer.status === 202) acceptedAt.set(key, answer.answeredAt);
  });
  const latencies: number[] = [];
  for (const [key, at] of measured.effects) {
    const accepted = acceptedAt.get(key);
    if (accepted !== undefined) latencies.push(Math.max(0, at - accepted));
  }
  const lastEffect = Math.max(...measured.effects.values());
  const completed = measured.effects.size;
  const seconds = (lastEffect - startedAt) / 1000;
  const consumer = pipeline.consumers[useCase];
  const inFlight = consumer.maxConcurrency * Math.min(consumer.batchSize, ongoingCallsInFlightPerBatch);
  const readsPerWebhook = reads(calls) / keys.length;
  const { bound, basis } = boundOf(run, inFlight);
  const lost = [...acceptedAt.keys()].filter(
    (key) => !measured.effects.has(key) && !measured.deadLetterKeys.has(key),
  ).length;
  const cpu = process.cpuUsage(measured.cpu.usage);
  const wallMs = Date.now() - measured.cpu.wallMs;
  return {
    webhooks: keys.length,
    localServicesCpuPercent: Math.round((100 * (cpu.user + cpu.system)) / 1000 / wallMs),
    accepted: acceptedAt.size,
    throughputPerSec: round(completed / seconds),
    steadyPerSec: round(steadyRate([...measured.effects.values()])),
    ingressPerSec: round(acceptedAt.size / ((Math.max(...acceptedAt.values()) - startedAt) / 1000)),
    boundPerSec: round(bound),
    boundBasis: basis,
    p50Ms: round(percentile(latencies, 50), 0),
    p99Ms: round(percentile(latencies, 99), 0),
    ongoingCallsPerWebhook: round(totalCalls(calls) / keys.length, 2),
    ongoingReadsPerWebhook: round(readsPerWebhook, 2),
    batchCycleMs: round((1000 * inFlight * seconds) / completed, 0),
    completed,
    deadLettered: measured.deadLetterKeys.size,
    lost,
    drained: measured.drained,
  };
}

/** Effects per second from the 10th to the 90th percentile effect time; NaN with too few effects to tell. */
function steadyRate(effectTimes: number[]): number {
  if (effectTimes.length < 20) return Number.NaN;
  const from = percentile(effectTimes, 10);
  const to = percentile(effectTimes, 90);
  const between = effectTimes.filter((at) => at > from && at <= to).length;
  return to > from ? (1000 * between) / (to - from) : Number.NaN;
}
