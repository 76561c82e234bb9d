/**
 * The operator's trail on the local stack, as `npm start` runs it: webhooks posted to the ingress leave a trail
 * (with SES's events added by mail-events), `npm run trace` prints their journey and what failed, `/_local/status`
 * lists the recent trail, and `npm run replay` sends a webhook again through its queue: a mailed order is not
 * mailed twice, and a dead-lettered one is processed once its cause is fixed.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { TrailEntry, TrailRecord } from "../functions/shared/trail/model.ts";
import type { StoredMail } from "../local/emulators.ts";
import { type LocalStack, startLocalStack } from "../local/stack.ts";
import { synthesize } from "../local/synth.ts";
import { main as replayCli } from "../scripts/replay.ts";
import { main as traceCli } from "../scripts/trace.ts";

let stack: LocalStack;
let outdir: string;

const postOrder = (orderId: number, webhookEventId: number) =>
  fetch(`${stack.urls.ingress}/webhooks/order-shipped-email`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-auth-token": stack.webhookToken },
    body: JSON.stringify({ webhookEventId, goodsOwnerId: 159, orderId }),
  });

const mailsTo = async (address: string) =>
  ((await (await fetch(`${stack.urls.ses}/store`)).json()) as { emails: StoredMail[] }).emails.filter(
    (mail) => mail.destination.to.includes(address),
  );

/** Runs a CLI's main against this stack, returning its exit code and what it printed. */
async function cli(main: (argv: string[]) => Promise<number>, ...args: string[]) {
  const lines: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...parts: unknown[]) => {
    lines.push(parts.join(" "));
  });
  const error = vi.spyOn(console, "error").mockImplementation((...parts: unknown[]) => {
    lines.push(parts.join(" "));
  });
  try {
    const code = await main([...args, "--url", stack.urls.ingress]);
    return { code, output: lines.join("\n") };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

const journeyOf = async (...selection: string[]) => {
  const { code, output } = await cli(traceCli, ...selection, "--json");
  expect(code).toBe(0);
  return JSON.parse(output) as TrailRecord[];
};

/** Polls until `check` passes (SES's events reach the trail through mail-events a moment after the mail). */
async function eventually(check: () => Promise<void>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), "local-stack-trail-"));
  const assembly = await synthesize({ outdir });
  stack = await startLocalStack({ freePorts: true, assemblyDir: assembly.dir, schedule: false });
}, 240_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(outdir, { recursive: true, force: true });
});

describe("the trail on the local stack", () => {
  it("traces a mailed order with its SES events, and a replay does not mail it twice", async () => {
    expect((await postOrder(50163, 9001)).status).toBe(202);
    await stack.idle();
    expect(await mailsTo("a@b.com")).toHaveLength(1);

    await eventually(async () => {
      const [record] = await journeyOf("--order", "50163");
      expect(record).toMatchObject({
        route: "order-shipped-email",
        goodsOwnerId: 159,
        subject: "order#50163",
        outcome: "done",
        attempts: [{ outcome: "done", receive: 1 }],
      });
      expect(record?.effect).toMatchObject({
        sesMessageId: expect.any(String),
        sesSend: expect.any(String),
        sesDelivery: expect.any(String),
      });
    });
    const printed = await cli(traceCli, "--order", "50163", "--goods-owner", "159");
    expect(printed.code).toBe(0);
    expect(printed.output).toMatch(/order-shipped-email\s+event \S+\s+order#50163 goods owner 159/);
    expect(printed.output).toContain("effect     sesMessageId = ");
    expect(printed.output).toContain("→ done");

    const replayed = await cli(replayCli, "--order", "50163");
    expect(replayed.code).toBe(0);
    expect(replayed.output).toContain("1 of 1 webhook(s) replayed");
    await stack.idle();

    expect(await mailsTo("a@b.com")).toHaveLength(1);
    const [after] = await journeyOf("--order", "50163");
    expect(after?.outcome).toBe("done");
    expect(after?.attempts.at(-1)).toMatchObject({
      outcome: "skipped",
      reason: "already-mailed",
      replay: true,
    });
  }, 120_000);

  it("lists a dead-lettered webhook with its reason, and replays it once the cause is fixed", async () => {
    expect((await postOrder(987654, 9002)).status).toBe(202);
    await stack.idle();
    const [failed] = await journeyOf("--order", "987654");
    expect(failed).toMatchObject({ outcome: "dead-lettered", attempts: [{ code: "not-found" }] });

    const listed = await cli(traceCli, "--failed", "--since", "1h");
    expect(listed.code).toBe(0);
    expect(listed.output).toContain(`event ${failed?.eventId}`);
    expect(listed.output).toContain("dead-lettered: permanent:");

    const status = (await (await fetch(`${stack.urls.ingress}/_local/status`)).json()) as {
      trail: TrailEntry[];
    };
    expect(status.trail[0]).toMatchObject({ eventId: failed?.eventId, outcome: "dead-lettered" });
    expect(status.trail.map((entry) => entry.subject)).toContain("order#50163");

    // The cause: Ongoing did not have the order yet. Now it does.
    const example = await (await fetch(`${stack.urls.ongoingAdmin}orders/50163`)).json();
    await fetch(`${stack.urls.ongoingAdmin}orders/987654`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(example),
    });
    const replayed = await cli(replayCli, "--event", String(failed?.eventId));
    expect(replayed.code).toBe(0);
    await stack.idle();

    expect(await mailsTo("a@b.com")).toHaveLength(2);
    const [after] = await journeyOf("--event", String(failed?.eventId));
    expect(after?.outcome).toBe("done");
    expect(after?.attempts.map((attempt) => attempt.outcome)).toEqual(["dead-lettered", "done"]);
  });

  it("replays a time range, only the dead-lettered ones when asked, and says so on a dry run", async () => {
    const dry = await cli(replayCli, "--since", "1h", "--dead-lettered", "--dry-run");
    expect(dry.code).toBe(0);
    expect(dry.output).toContain("0 of 0 webhook(s) would be replayed");
    const all = await cli(replayCli, "--since", "1h", "--dry-run");
    expect(all.output).toContain("2 of 2 webhook(s) would be replayed");
  });
});
