/**
 * `npm run chaos [-- --minutes N] [--webhooks N] [--bad-requests N] [--outage-minutes N] [--outage-webhooks N]
 * [--outages ongoing,ses,transport] [--outage-only] [--reuse-assembly]`: the fault-and-abuse suite at full length
 * on the local stack. Thousands of generated bad requests at the ingress; Ongoing down (503) and then failing a
 * slice of calls (500, 429 + Retry-After, resets, time-outs) for minutes while webhooks keep coming, SES throttling
 * and rejecting; every event five times; a personal-data scan of every log line; and long outages (many times the
 * whole retry budget, 4 receives) of Ongoing, of SES (every call answered 500: SES may or may not have taken a
 * mail) and of the transport system, which the circuit breakers must ride out with no dead letter and each effect
 * exactly once. Prints what held and what did not, writes a JSON file and prints its path last; exits 1 on any
 * failure. Figures: docs/outages.md.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { badRequests, sendBadRequests } from "../devkit/abuse.ts";
import { runWhenMain } from "../devkit/cli.ts";
import { balances } from "../devkit/ledger.ts";
import { customerOf, totalCalls } from "../devkit/ongoing.ts";
import { articleWebhookPayload, orderWebhookPayload } from "../devkit/payloads.ts";
import { type Pipeline, startPipeline, stopOnSignal } from "../devkit/pipeline.ts";
import {
  compressedRetries,
  ongoingFaults,
  ongoingTimeouts,
  planBurst,
  raceArticleEvents,
  runBurst,
  sesFaults,
} from "../devkit/scenarios.ts";
import { deliver, routeNamed } from "../devkit/webhooks.ts";
import { projectRoot } from "../local/synth.ts";
import { table, writeResults } from "./bench.ts";
import { type CheckFn, longOutage, outageScenarios, type Values } from "./chaos-outages.ts";

interface Check {
  check: string;
  held: boolean;
  detail: string;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      minutes: { type: "string", default: "2" },
      webhooks: { type: "string", default: "1000" },
      "bad-requests": { type: "string", default: "3000" },
      duplicates: { type: "string", default: "60" },
      "outage-minutes": { type: "string", default: "3" },
      "outage-webhooks": { type: "string", default: "300" },
      outages: { type: "string", default: outageScenarios.map((scenario) => scenario.name).join(",") },
      "outage-only": { type: "boolean", default: false },
      "reuse-assembly": { type: "boolean", default: false },
    },
  });
  const faultMs = Number(values.minutes) * 60_000;
  const checks: Check[] = [];
  const check = (name: string, held: boolean, detail: string) => {
    checks.push({ check: name, held, detail });
    console.error(`${held ? "held" : "FAILED"}: ${name} (${detail})`);
  };

  const extra: Record<string, unknown> = {};
  if (!values["outage-only"]) await faultsAndAbuse(values, check, extra, faultMs);
  const outages = String(values.outages).split(",");
  const unknown = outages.filter((name) => !outageScenarios.some((scenario) => scenario.name === name));
  if (unknown.length > 0)
    throw new Error(`--outages: unknown ${unknown.join(", ")}; known: ongoing, ses, transport`);
  for (const scenario of outageScenarios.filter((candidate) => outages.includes(candidate.name))) {
    await longOutage(scenario, values, check, extra);
  }
  const ok = checks.every((entry) => entry.held);
  console.log(table(checks.map((entry) => ({ check: entry.check, held: entry.held ? "yes" : "NO" }))));
  console.log(
    writeResults("chaos", {
      command: `npm run chaos -- ${argv.join(" ")}`.trim(),
      checks,
      ...extra,
      ok,
    }),
  );
  return ok ? 0 : 1;
}

/**
 * The fault-and-abuse run on one pipeline: bad requests at the ingress, a burst under Ongoing and SES faults, every
 * event five times, racing article events, and the personal-data scan over every log line they wrote.
 */
async function faultsAndAbuse(
  values: Values,
  check: CheckFn,
  extra: Record<string, unknown>,
  faultMs: number,
): Promise<void> {
  console.error("synthesizing and starting the local pipeline…");
  // Its own assembly: the shorter Ongoing time-out is part of the template.
  const assemblyDir = join(projectRoot, ".local", "chaos-cdk.out");
  const pipeline = await startPipeline({
    assemblyDir,
    reuseAssembly: values["reuse-assembly"] === true && existsSync(join(assemblyDir, "manifest.json")),
    functionEnvironment: compressedRetries,
    context: { "ongoingWebhooks.ongoing.requestTimeoutMs": 2_000 },
  });
  stopOnSignal(pipeline);
  try {
    await ingressAbuse(pipeline, values, check, extra);
    await faultyBurst(pipeline, values, check, extra, faultMs);
    await everyEventFiveTimes(pipeline, Number(values.duplicates), check);
    await racingArticleEvents(pipeline, check);
    check(
      "no customer e-mail, name or address in any log line",
      pipeline.logs.leaks.length === 0,
      `${pipeline.logs.lines} lines scanned, ${pipeline.logs.leaks.length} with personal data`,
    );
    extra.leaks = pipeline.logs.leaks;
  } finally {
    await pipeline.stop();
  }
}

/** Thousands of generated bad requests: each answered 4xx, none queued or processed. */
async function ingressAbuse(
  pipeline: Pipeline,
  values: Values,
  check: CheckFn,
  extra: Record<string, unknown>,
): Promise<void> {
  const requests = badRequests(Number(values["bad-requests"]), Date.now() % 100_000);
  const callsBefore = totalCalls(await pipeline.ongoing.calls());
  const answers = await sendBadRequests(pipeline.stack.urls.ingress, pipeline.stack.webhookToken, requests);
  await pipeline.stack.idle();
  const wrong = answers.filter((answer) => answer.status < 400 || answer.status >= 500);
  const byStatus: Record<string, number> = {};
  for (const answer of answers) byStatus[answer.status] = (byStatus[answer.status] ?? 0) + 1;
  extra.abuse = { requests: requests.length, byStatus, wrongSample: wrong.slice(0, 5) };
  check(
    "every bad request answered 4xx",
    wrong.length === 0,
    `${requests.length} requests, by status ${JSON.stringify(byStatus)}`,
  );
  const status = await pipeline.stack.status();
  check(
    "no bad request queued or processed",
    totalCalls(await pipeline.ongoing.calls()) === callsBefore &&
      pipeline.ses.calls.length === 0 &&
      status.queues.every((queue) => queue.deadLetters === 0),
    "no Ongoing call, no mail, no dead letter",
  );
}

/** Ongoing down, then failing a slice of calls, SES throttling and rejecting, while webhooks keep coming. */
async function faultyBurst(
  pipeline: Pipeline,
  values: Values,
  check: CheckFn,
  extra: Record<string, unknown>,
  faultMs: number,
): Promise<void> {
  const plan = planBurst(Number(values.webhooks), 5_000_000);
  const outcome = await runBurst(pipeline, plan, {
    drainTimeoutMs: faultMs + 10 * 60_000,
    concurrency: 4,
    duringSend: async () => {
      await pipeline.ongoing.addFault({ status: 503, message: "Service Unavailable", forMs: faultMs / 2 });
      setTimeout(() => {
        for (const fault of [...ongoingFaults(faultMs / 2), ongoingTimeouts(faultMs / 2, 3_000)])
          void pipeline.ongoing.addFault(fault);
      }, faultMs / 2);
      sesFaults(pipeline, 200);
    },
  });
  extra.outage = outcome;
  check(
    "accepted = processed + dead-lettered after the outage",
    balances(outcome.tally) && outcome.drained,
    `accepted ${outcome.tally.accepted}, processed ${outcome.tally.processed}, dead-lettered ${outcome.tally.deadLettered}, lost ${outcome.tally.lost}, duplicated ${outcome.tally.duplicated}, drained in ${Math.round(outcome.drainMs / 1000)} s`,
  );
  check(
    "every dead letter carries its reason",
    outcome.tally.deadLettersWithoutReason === 0,
    JSON.stringify(outcome.tally.deadLetterReasons),
  );
  pipeline.ses.faults.length = 0;
  await pipeline.ongoing.clearFaults();
}

/** Every event five times: three at once, two later; one effect each. */
async function everyEventFiveTimes(pipeline: Pipeline, count: number, check: CheckFn): Promise<void> {
  const first = 6_000_000;
  const orderIds = Array.from({ length: count * 2 }, (_, index) => first + index);
  const articleIds = Array.from({ length: count }, (_, index) => first + count * 2 + index);
  await pipeline.ongoing.createShippedOrders(orderIds);
  await pipeline.ongoing.createArticles(articleIds);
  const events = [
    ...orderIds.slice(0, count).map((id) => ({
      route: routeNamed("order-shipped-email"),
      payload: orderWebhookPayload(id, 159),
    })),
    ...orderIds.slice(count).map((id) => ({
      route: routeNamed("transport-booking"),
      payload: orderWebhookPayload(id, 159),
    })),
    ...articleIds.map((id) => ({
      route: routeNamed("article-updated"),
      payload: articleWebhookPayload(id, 159),
    })),
  ];
  const { ingress } = pipeline.stack.urls;
  const token = pipeline.stack.webhookToken;
  await deliver(
    ingress,
    token,
    events.flatMap((event) => [event, event, event]),
    24,
  );
  await pipeline.stack.idle({ timeoutMs: 120_000 });
  await deliver(ingress, token, [...events, ...events], 8);
  await pipeline.stack.idle({ timeoutMs: 120_000 });
  const mails = pipeline.mailsAccepted();
  const mailCounts = orderIds.slice(0, count).map((id) => mails.get(customerOf(id).email)?.length ?? 0);
  const waybills = new Map<string, number>();
  for (const write of await pipeline.ongoing.writes())
    if (write.status < 300 && write.path.endsWith("/waybill"))
      waybills.set(write.path, (waybills.get(write.path) ?? 0) + 1);
  const waybillCounts = orderIds.slice(count).map((id) => waybills.get(`/orders/${id}/waybill`) ?? 0);
  const mirror = await pipeline.mirror();
  const revisions = articleIds.map((id) => mirror.get(id)?.revision ?? 0);
  const once = (values: number[]) => values.every((value) => value === 1);
  check(
    "one mail per event sent five times",
    once(mailCounts),
    `mails per order: ${[...new Set(mailCounts)]}`,
  );
  check(
    "one booking written back per event sent five times",
    once(waybillCounts),
    `waybill writes per order: ${[...new Set(waybillCounts)]}`,
  );
  check(
    "one mirror write per event sent five times",
    once(revisions),
    `revisions: ${[...new Set(revisions)]}`,
  );
}

/** Many events for the same articles at once: the mirror's conditional writes collide. */
async function racingArticleEvents(pipeline: Pipeline, check: CheckFn): Promise<void> {
  const raced = Array.from({ length: 20 }, (_, index) => 7_000_000 + index);
  const diverged = await raceArticleEvents(pipeline, raced, 10);
  check(
    "the mirror converges under conditional write conflicts",
    diverged.length === 0,
    `${raced.length} articles × 20 events around a rename; ${diverged.length} not as Ongoing has them`,
  );
}

runWhenMain(import.meta, main);
