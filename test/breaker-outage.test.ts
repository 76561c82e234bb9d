/**
 * An Ongoing outage many times longer than the whole retry budget, end to end on the local stack (the
 * synthesized template, each function in its own process, the breaker probe on a compressed interval) with as few
 * receives as 4: the circuit breaker opens, the probe pauses the consumers, nothing is dead-lettered for the
 * outage, and once Ongoing answers again every webhook takes effect exactly once.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compressedRetries } from "../bench/load.ts";
import { planBurst, runOutage } from "../bench/scenarios.ts";
import { type Pipeline, startPipeline } from "../bench/support/pipeline.ts";
import { useCases } from "../functions/shared/webhooks/routes.ts";

let pipeline: Pipeline;
let assemblyDir: string;
/** Retry budget at 4 receives: 1 + 2 + 4 s of backoff. */
const outageMs = 40_000;

beforeAll(async () => {
  assemblyDir = mkdtempSync(join(tmpdir(), "outage-"));
  pipeline = await startPipeline({
    assemblyDir,
    maxReceiveCount: 4,
    functionEnvironment: compressedRetries,
    probeIntervalMs: 2_000,
    context: { "ongoingWebhooks.ongoing.requestTimeoutMs": 1_000 },
  });
}, 180_000);

afterAll(async () => {
  await pipeline?.stop();
  rmSync(assemblyDir, { recursive: true, force: true });
});

describe("an Ongoing outage on the local stack", () => {
  it("dead-letters nothing for it and takes every webhook into effect exactly once after it", async () => {
    const breakerPositions: string[] = [];
    const paused = new Set<string>();
    const watch = setInterval(async () => {
      const { Item } = await pipeline.dynamodb
        .send(
          new GetItemCommand({
            TableName: pipeline.stack.tables.state,
            Key: { id: { S: "breaker#ongoing" } },
          }),
        )
        .catch(() => ({ Item: undefined }));
      const position = Item?.position?.S ?? "closed";
      if (breakerPositions.at(-1) !== position) breakerPositions.push(position);
      for (const useCase of useCases)
        if (pipeline.stack.eventSourceEnabled(useCase) === false) paused.add(useCase);
    }, 250);
    const outcome = await runOutage(pipeline, planBurst(60, 3_000_000), { outageMs, drainTimeoutMs: 90_000 });
    clearInterval(watch);

    expect(outcome.drained).toBe(true);
    expect(outcome.exhausted).toBe(0);
    expect(outcome.tally.lost).toBe(0);
    expect(outcome.tally.duplicated).toBe(0);
    // Only the plan's own permanent failures (orders Ongoing does not have, mails SES rejects).
    expect(outcome.tally.deadLettered).toBe(outcome.expectedDeadLetters);
    expect(
      Object.keys(outcome.tally.deadLetterReasons).every((reason) => reason.startsWith("permanent/")),
    ).toBe(true);
    expect(breakerPositions).toEqual(expect.arrayContaining(["open", "closed"]));
    expect([...paused].sort()).toEqual([...useCases].sort());
    for (const useCase of useCases) expect(pipeline.stack.eventSourceEnabled(useCase)).toBe(true);
    expect(outcome.recoveryDrainMs).toBeLessThan(60_000);
  }, 240_000);
});
