/**
 * The local status page in a real headless browser (Debian's chromium, driven by playwright-core; nothing is
 * downloaded): on the running local stack, a webhook for an order Ongoing does not have is dead-lettered; the page
 * shows it with its reason, escaped; once the order exists, its redrive button moves it back and it is processed.
 * The trail section is rendered from a status with a trail. Assertions read the DOM, not the HTML.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StoredMail } from "../local/emulators.ts";
import { type LocalStack, type LocalStatus, startLocalStack } from "../local/stack.ts";
import { statusPage } from "../local/status-page.ts";
import { synthesize } from "../local/synth.ts";

const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** The machine's flags: no sandbox as root, and no background traffic to a network that is closed. */
const chromiumFlags = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
/** What a webhook may carry: markup that must stay text, and characters beyond ASCII. */
const hostileNote = "<script>window.pwned = true</script> 📦 Ærø & <b>bold</b>";

let stack: LocalStack;
let outdir: string;
let browser: BrowserContext;
let page: Page;

beforeAll(async () => {
  if (!existsSync(chromiumPath))
    throw new Error(`no ${chromiumPath}: run bash scripts/ensure-chromium.sh (npm test runs it first)`);
  outdir = mkdtempSync(join(tmpdir(), "local-status-page-"));
  const assembly = await synthesize({ outdir: join(outdir, "cdk.out") });
  stack = await startLocalStack({ freePorts: true, assemblyDir: assembly.dir, schedule: false });
  // A fresh, empty profile in the test's own directory.
  browser = await chromium.launchPersistentContext(join(outdir, "profile"), {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumFlags,
  });
  page = browser.pages()[0] ?? (await browser.newPage());
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  rmSync(outdir, { recursive: true, force: true });
});

/** Polls until `read` gives what `check` accepts (the page reloads itself every 2 s). */
async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value !== undefined && check(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const mails = async () =>
  ((await (await fetch(`${stack.urls.ses}/store`)).json()) as { emails: StoredMail[] }).emails;

describe("the local status page, in chromium", () => {
  it("shows a dead letter with its reason, and its redrive button moves it back to be processed", async () => {
    const orderId = 990_001;
    const accepted = await fetch(`${stack.urls.ingress}/webhooks/order-shipped-email`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-auth-token": stack.webhookToken },
      body: JSON.stringify({ webhookEventId: 7001, goodsOwnerId: 159, orderId, note: hostileNote }),
    });
    expect(accepted.status).toBe(202);
    await stack.idle();
    await eventually(
      async () => (await stack.status()).queues.find((queue) => queue.useCase === "order-shipped-email"),
      (queue) => queue?.deadLetters === 1,
      "order-shipped-email dead letters",
    );

    // Held still while it is read; after the redrive the page reloads itself again.
    await page.goto(`${stack.urls.ingress}/_local?refresh=0`);
    expect(await page.locator('meta[http-equiv="refresh"]').count()).toBe(0);
    const queue = page.getByRole("region", { name: "order-shipped-email dead letters" });
    expect(await queue.getByRole("heading").textContent()).toBe("order-shipped-email: 1 dead letter");
    const row = queue.locator("tr[data-message-id]");
    expect(await row.count()).toBe(1);
    const [receivedAt, eventType, reason, failure, webhook] = await row.locator("td").allTextContents();
    expect(receivedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(eventType).toBe("order-shipped");
    expect(reason).toBe("Ongoing getOrder: not found (Order with id 990001 was not found.)");
    expect(failure).toBe("permanent not-found");
    // The webhook's markup is text on the page: shown as written, never run.
    expect(webhook).toContain(hostileNote);
    expect(await queue.locator("script, b").count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { pwned?: boolean }).pwned)).toBeUndefined();
    // The webhook's trail: one row, dead-lettered, with the reason (the page reads the real trail table).
    const trailRow = page
      .getByRole("region", { name: "Recent trail" })
      .locator("tr", { hasText: `order#${orderId}` });
    expect(await trailRow.count()).toBe(1);
    const [, route, goodsOwner, subject, outcome, trailReason] = await trailRow
      .locator("td")
      .allTextContents();
    expect([route, goodsOwner, subject, outcome]).toEqual([
      "order-shipped-email",
      "159",
      `order#${orderId}`,
      "dead-lettered",
    ]);
    expect(trailReason).toContain("Ongoing getOrder: not found");

    // Fix the cause: Ongoing now has the order (the example order 50163 under the new id).
    const example = (await (await fetch(`${stack.urls.ongoingAdmin}orders/50163`)).json()) as {
      orderInfo: Record<string, unknown>;
    };
    const put = await fetch(`${stack.urls.ongoingAdmin}orders/${orderId}`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...example, orderInfo: { ...example.orderInfo, orderNumber: "O990001" } }),
    });
    expect(put.status).toBe(200);

    await queue.getByRole("button", { name: "Redrive order-shipped-email" }).click();
    await page.waitForURL(/\/_local\?redriven=order-shipped-email/);
    expect(await page.locator('meta[http-equiv="refresh"]').getAttribute("content")).toBe("2");
    expect(await page.getByRole("status").textContent()).toBe(
      "Redrive: moved 1 dead letter back to the order-shipped-email queue.",
    );
    // Processed: the dead letter leaves the page (it refreshes itself) and the customer gets the mail.
    await eventually(
      () => page.getByRole("region", { name: "Dead letters" }).textContent(),
      (text) => text?.includes("No dead letters.") === true,
      "the dead-letters section",
    );
    await stack.idle();
    const mail = await eventually(
      async () => (await mails()).find((candidate) => candidate.subject.includes("O990001")),
      (found) => found !== undefined,
      "the mail for order O990001",
    );
    expect(mail?.destination.to).toContain("a@b.com");
    const dead = (await stack.status()).queues.find(
      (candidate) => candidate.useCase === "order-shipped-email",
    );
    expect(dead?.deadLetters).toBe(0);
    // The same trail row now ends done, with the mail's SES message id as its effect.
    await page.goto(`${stack.urls.ingress}/_local?refresh=0`);
    const [, , , , outcomeAfter, , , effect] = await trailRow.locator("td").allTextContents();
    expect(outcomeAfter).toBe("done");
    expect(effect).toContain("sesMessageId");

    const screenshot = join(outdir, "status-page.png");
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(statSync(screenshot).size).toBeGreaterThan(0);
  });
});

describe("the local status page's trail, in chromium", () => {
  it("renders the recent trail, newest first, every value as text", async () => {
    const status = await stack.status();
    const trail: LocalStatus["trail"] = [
      {
        eventId: "7002",
        route: "order-shipped-email",
        goodsOwnerId: 159,
        subject: `order ${hostileNote}`,
        receivedAt: "2026-12-03T10:02:00.000Z",
        outcome: "dead-lettered",
        reason: "Ongoing answered 404 <i>not found</i>",
        attempts: [{ at: "2026-12-03T10:02:01.000Z", outcome: "dead-lettered", code: "404" }],
      },
      {
        eventId: "7001",
        route: "article-updated",
        goodsOwnerId: 159,
        subject: "article 18068",
        receivedAt: "2026-12-03T10:01:00.000Z",
        outcome: "done",
        attempts: [
          {
            at: "2026-12-03T10:01:01.000Z",
            outcome: "transient",
            code: "503",
            reason: "Ongoing unavailable",
          },
          { at: "2026-12-03T10:01:31.000Z", outcome: "done" },
        ],
        effect: { mirrorRevision: "2" },
      },
    ];
    // A page of its own: the status page above reloads itself.
    const view = await browser.newPage();
    await view.setContent(
      statusPage({ ...status, trail }, {}, { sesPage: `${stack.urls.ses}/` }, { refreshSeconds: 0 }),
    );
    const rows = view.getByRole("region", { name: "Recent trail" }).locator("tr");
    expect(await rows.count()).toBe(3);
    const [, newest, older] = await Promise.all(
      [0, 1, 2].map((index) => rows.nth(index).locator("td").allTextContents()),
    );
    expect(newest?.slice(0, 6)).toEqual([
      "2026-12-03T10:02:00.000Z",
      "order-shipped-email",
      "159",
      `order ${hostileNote}`,
      "dead-lettered",
      "Ongoing answered 404 <i>not found</i>",
    ]);
    expect(older?.[4]).toBe("done");
    expect(older?.[6]).toBe(
      "2026-12-03T10:01:01.000Z transient 503 Ongoing unavailable\n2026-12-03T10:01:31.000Z done",
    );
    expect(older?.[7]).toBe("mirrorRevision: 2");
    expect(await view.locator("#trail script, #trail b, #trail i").count()).toBe(0);
    expect(await view.evaluate(() => (globalThis as { pwned?: boolean }).pwned)).toBeUndefined();
    await view.close();
  });
});
