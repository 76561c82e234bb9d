/**
 * `npm run load [-- --webhooks N] [--fault-window MS] [--drain-timeout MS] [--reuse-assembly]`: a burst of
 * webhooks over every route while the Ongoing simulator fails a slice of its calls (500, 429 + Retry-After,
 * resets, 503) and SES throttles and rejects some mails; then drain, and settle the books:
 * accepted = processed + dead-lettered, nothing lost, nothing duplicated. Exits 1 when they do not balance.
 */
import { parseArgs } from "node:util";
import { runWhenMain } from "../devkit/cli.ts";
import { balances } from "../devkit/ledger.ts";
import { startPipeline, stopOnSignal } from "../devkit/pipeline.ts";
import { compressedRetries, ongoingFaults, planBurst, runBurst, sesFaults } from "../devkit/scenarios.ts";
import { table, writeResults } from "./bench.ts";

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      webhooks: { type: "string", default: "3000" },
      "fault-window": { type: "string", default: "20000" },
      "drain-timeout": { type: "string", default: "300000" },
      "reuse-assembly": { type: "boolean", default: false },
    },
  });
  const total = Number(values.webhooks);
  const plan = planBurst(total, 1_000_000);
  console.error(`synthesizing and starting the local pipeline…`);
  const pipeline = await startPipeline({
    reuseAssembly: values["reuse-assembly"] ?? false,
    functionEnvironment: compressedRetries,
  });
  stopOnSignal(pipeline);
  try {
    console.error(`sending ${total} webhooks under Ongoing and SES faults, then draining…`);
    const outcome = await runBurst(pipeline, plan, {
      drainTimeoutMs: Number(values["drain-timeout"]),
      duringSend: async () => {
        for (const fault of ongoingFaults(Number(values["fault-window"])))
          await pipeline.ongoing.addFault(fault);
        sesFaults(pipeline, 50);
      },
    });
    const { tally } = outcome;
    const ok = balances(tally) && outcome.drained && pipeline.logs.leaks.length === 0;
    console.log(
      table(Object.entries(tally.byUseCase).map(([useCase, t]) => ({ "use-case": useCase, ...t }))),
    );
    console.log(
      `\naccepted ${tally.accepted} = processed ${tally.processed} + dead-lettered ${tally.deadLettered}` +
        ` (expected ${outcome.expectedDeadLetters}); lost ${tally.lost}, duplicated ${tally.duplicated}, rejected ${tally.rejected}`,
    );
    console.log(`dead letters by reason: ${JSON.stringify(tally.deadLetterReasons)}`);
    console.log(
      `sent in ${(outcome.sendMs / 1000).toFixed(1)} s, drained in ${(outcome.drainMs / 1000).toFixed(1)} s` +
        `${outcome.drained ? "" : " (NOT drained in time)"}; SES faults answered ${pipeline.ses.faulted}`,
    );
    console.log(`log lines ${pipeline.logs.lines}, personal data in logs: ${pipeline.logs.leaks.length}`);
    if (tally.lostSample.length) console.log(`lost, e.g.: ${tally.lostSample.join(", ")}`);
    if (tally.duplicatedSample.length) console.log(`duplicated, e.g.: ${tally.duplicatedSample.join("; ")}`);
    console.log(ok ? "BALANCED" : "NOT BALANCED");
    console.log(
      writeResults("load", {
        command: `npm run load -- ${argv.join(" ")}`.trim(),
        ...outcome,
        personalDataLeaks: pipeline.logs.leaks,
        sesFaultAnswers: pipeline.ses.faulted,
        balanced: ok,
      }),
    );
    return ok ? 0 : 1;
  } finally {
    await pipeline.stop();
  }
}

runWhenMain(import.meta, main);
