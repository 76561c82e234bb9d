/** The chaos run's long outages: Ongoing, SES and the transport system down for many times the retry budget (npm run chaos). */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { isSendEmail, type ProxyFault } from "../devkit/fault-proxy.ts";
import { balances } from "../devkit/ledger.ts";
import { type Pipeline, startPipeline, stopOnSignal } from "../devkit/pipeline.ts";
import { compressedRetries, planBurst, runOutage } from "../devkit/scenarios.ts";
import { projectRoot } from "../local/synth.ts";

export type Values = Record<string, string | boolean | undefined>;
export type CheckFn = (name: string, held: boolean, detail: string) => void;

/** A dependency going down for the whole outage and coming back. */
interface OutageScenario {
  readonly name: "ongoing" | "ses" | "transport";
  readonly what: string;
  start(pipeline: Pipeline, outageMs: number): Promise<void>;
  end(pipeline: Pipeline): Promise<void>;
  /** Counts of what the outage did, for the results. @default none */
  report?(): Record<string, number>;
}

/** Mails SES answered 500 during its outage: each left an uncertain claim. */
let sesUncertainMails = 0;

/** SES failing inside (500 InternalFailure) on every call, the probe's GetAccount too: it may have taken a mail. */
const sesInternalFailure: ProxyFault = {
  matches: (body) => {
    if (isSendEmail(body)) sesUncertainMails += 1;
    return true;
  },
  status: 500,
  contentType: "text/xml",
  body: '<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>The request processing has failed because of an unknown error.</Message></Error><RequestId>local-outage</RequestId></ErrorResponse>',
};

const transportOutage = (pipeline: Pipeline, method: "PUT" | "DELETE") =>
  fetch(`${pipeline.stack.urls.transportAdmin}/outage`, {
    method,
    headers: { "content-type": "application/json" },
    ...(method === "PUT" ? { body: JSON.stringify({ status: 503 }) } : {}),
  }).then((response) => {
    if (!response.ok) throw new Error(`transport simulator: ${method} outage answered ${response.status}`);
  });

export const outageScenarios: readonly OutageScenario[] = [
  {
    name: "ongoing",
    what: "Ongoing answers 503 to every call",
    start: (pipeline, outageMs) =>
      pipeline.ongoing.addFault({ status: 503, message: "Down for maintenance", forMs: outageMs }),
    end: (pipeline) => pipeline.ongoing.clearFaults(),
  },
  {
    name: "ses",
    what: "SES answers 500 InternalFailure to every call (outcome of each send unknown)",
    async start(pipeline) {
      // First, so it wins over the plan's own rejections until it ends.
      pipeline.ses.faults.unshift(sesInternalFailure);
    },
    async end(pipeline) {
      const index = pipeline.ses.faults.indexOf(sesInternalFailure);
      if (index >= 0) pipeline.ses.faults.splice(index, 1);
    },
    report: () => ({ mailsAnsweredWith500: sesUncertainMails }),
  },
  {
    name: "transport",
    what: "the transport system answers 503 to every call",
    start: (pipeline) => transportOutage(pipeline, "PUT"),
    end: (pipeline) => transportOutage(pipeline, "DELETE"),
  },
];

/** Compressed time for the outages: retries from 1 s, an SES evidence grace period of 10 s (900 s deployed). */
export const outageEnvironment = { ...compressedRetries, SES_EVIDENCE_GRACE_SECONDS: "10" };

/**
 * A dependency is down for `--outage-minutes` (compressed time: retries from 1 s, 4 receives, so the whole retry
 * budget is about 7 s; the probe every 5 s) while `--outage-webhooks` arrive: its breaker must open, pause the
 * consumers that need it and resume them when it returns, with no dead letter but the plan's own permanent ones.
 * One pipeline per scenario (the assembly is synthesized once), so each scenario's books are its own.
 */
export async function longOutage(
  scenario: OutageScenario,
  values: Values,
  check: CheckFn,
  extra: Record<string, unknown>,
): Promise<void> {
  const outageMs = Number(values["outage-minutes"]) * 60_000;
  console.error(
    `starting the local pipeline for a ${values["outage-minutes"]}-minute ${scenario.name} outage…`,
  );
  const assemblyDir = join(projectRoot, ".local", "chaos-outage-cdk.out");
  const synthesized = outageAssemblies.has(assemblyDir);
  const pipeline = await startPipeline({
    assemblyDir,
    reuseAssembly:
      synthesized || (values["reuse-assembly"] === true && existsSync(join(assemblyDir, "manifest.json"))),
    maxReceiveCount: 4,
    functionEnvironment: outageEnvironment,
    probeIntervalMs: 5_000,
    context: { "ongoingWebhooks.ongoing.requestTimeoutMs": 2_000 },
  });
  outageAssemblies.add(assemblyDir);
  stopOnSignal(pipeline);
  try {
    const plan = planBurst(Number(values["outage-webhooks"]), 8_000_000);
    const outcome = await runOutage(pipeline, plan, {
      outageMs,
      drainTimeoutMs: 10 * 60_000,
      outage: { start: () => scenario.start(pipeline, outageMs), end: () => scenario.end(pipeline) },
    });
    const effects = Object.fromEntries(
      Object.entries(outcome.tally.byUseCase).map(([useCase, own]) => [
        useCase,
        {
          processed: own.processed,
          deadLettered: own.deadLettered,
          lost: own.lost,
          duplicated: own.duplicated,
        },
      ]),
    );
    const outages = (extra.outages ?? {}) as Record<string, unknown>;
    extra.outages = outages;
    outages[scenario.name] = {
      what: scenario.what,
      outageMs,
      retryBudgetSeconds: 1 + 2 + 4,
      effects,
      ...scenario.report?.(),
      ...outcome,
    };
    check(
      `a long ${scenario.name} outage dead-letters nothing for it (4 receives, outage ≫ retry budget)`,
      outcome.exhausted === 0 && outcome.tally.deadLettered === outcome.expectedDeadLetters,
      `${scenario.what} for ${Math.round(outageMs / 1000)} s vs a 7 s retry budget; dead letters ${JSON.stringify(outcome.tally.deadLetterReasons)}, expected ${outcome.expectedDeadLetters} permanent`,
    );
    check(
      `every webhook of the ${scenario.name} outage takes effect exactly once after it`,
      balances(outcome.tally) &&
        outcome.drained &&
        outcome.tally.lost === 0 &&
        outcome.tally.duplicated === 0,
      `accepted ${outcome.tally.accepted}, processed ${outcome.tally.processed}, lost ${outcome.tally.lost}, duplicated ${outcome.tally.duplicated}, drained ${Math.round(outcome.recoveryDrainMs / 1000)} s after ${scenario.name} returned`,
    );
  } finally {
    await pipeline.stop();
  }
}

/** Assemblies synthesized in this run (the outage scenarios share one). */
export const outageAssemblies = new Set<string>();
