/**
 * End to end on the local stack, as `npm start` runs it (free ports): the synthesized template, the functions'
 * bundles in their own processes, the ingress stand-in. Drives all five routes the way the docs' walkthrough
 * (docs/local-and-simulators.md) does (the webhook CLI), and checks the mail, the mirror, the booking and the
 * write-backs.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redriveByCopy } from "../devkit/redrive.ts";
import type { StoredMail } from "../local/emulators.ts";
import { type LocalStack, type LocalStatus, rateMs, startLocalStack } from "../local/stack.ts";
import { synthesize } from "../local/synth.ts";
import { metadataOf, referencedIds, resourcesOfType } from "../local/template.ts";
import { smoke } from "../scripts/smoke.ts";
import { main as webhookCli } from "../scripts/webhook.ts";

const localCredentials = { accessKeyId: "local", secretAccessKey: "local" };
let stack: LocalStack;
let outdir: string;
let dynamodb: DynamoDBClient;
/** The reconcile schedule's timers, as the stack set them: a fake clock, so the test fires the tick itself. */
const scheduled: { tick: () => Promise<unknown>; ms: number; cleared: boolean }[] = [];

/** `npm run webhook -- <args>` against this stack. */
const webhook = (...args: string[]) =>
  webhookCli([...args, "--url", stack.urls.ingress, "--token", stack.webhookToken]);

const post = (route: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${stack.urls.ingress}/webhooks/${route}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-auth-token": stack.webhookToken, ...headers },
    body,
  });

const mails = async () =>
  ((await (await fetch(`${stack.urls.ses}/store`)).json()) as { emails: StoredMail[] }).emails;

const ongoingWrites = async () =>
  (await (await fetch(`${stack.urls.ongoingAdmin}writes`)).json()) as {
    operation: string;
    path: string;
    status: number;
    body: unknown;
  }[];

const ongoingCalls = async () =>
  (await (await fetch(`${stack.urls.ongoingAdmin}calls`)).json()) as {
    total: number;
    byOperation: Record<string, number>;
  };

/** Every call the simulator answered (its admin API counts them in `total`). */
const ongoingCallCount = async () => (await ongoingCalls()).total;

const article = async (articleSystemId: number) => {
  const { Item } = await dynamodb.send(
    new GetItemCommand({
      TableName: stack.tables.articles,
      Key: { goodsOwnerId: { N: "159" }, articleSystemId: { N: String(articleSystemId) } },
    }),
  );
  return Item;
};

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), "local-stack-"));
  const assembly = await synthesize({ outdir });
  stack = await startLocalStack({
    freePorts: true,
    assemblyDir: assembly.dir,
    // The schedule is on, as under `npm start`, but on a clock that never fires by itself: the reconcile runs
    // only when the schedule test fires the tick, so it cannot interleave with the other tests.
    scheduleTimers: {
      setInterval(tick, ms) {
        const timer = { tick, ms, cleared: false };
        scheduled.push(timer);
        return timer;
      },
      clearInterval(handle) {
        (handle as (typeof scheduled)[number]).cleared = true;
      },
    },
  });
  dynamodb = new DynamoDBClient({
    region: "eu-west-1",
    endpoint: stack.urls.dynamodb,
    credentials: localCredentials,
  });
}, 180_000);

afterAll(async () => {
  dynamodb?.destroy();
  await stack?.stop();
  // stop() ends the schedule too.
  expect(scheduled.every((timer) => timer.cleared)).toBe(true);
  rmSync(outdir, { recursive: true, force: true });
});

describe("the local stack", () => {
  it("mails the customer when an order ships", async () => {
    expect(await webhook("order-shipped-email", "--order", "50163")).toBe(0);
    await stack.idle();
    const mail = (await mails()).find((candidate) => candidate.destination.to.includes("a@b.com"));
    expect(mail?.subject).toContain("O1231234");
    expect(mail?.from).toBe("shipping@example.com");
  });

  it("mirrors created, updated and deleted articles", async () => {
    expect(await webhook("article-updated", "--article", "18068")).toBe(0);
    expect(await webhook("article-created", "--article", "20003")).toBe(0);
    await stack.idle();
    expect((await article(18068))?.articleNumber?.S).toBe("TestArticleNumber_ManyFields1");
    expect((await article(20003))?.articleSystemId?.N).toBe("20003");

    await fetch(`${stack.urls.ongoingAdmin}articles/18068`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ articleName: "Renamed" }),
    });
    expect(await webhook("article-updated", "--article", "18068")).toBe(0);
    await stack.idle();
    expect(JSON.stringify(await article(18068))).toContain("Renamed");

    await fetch(`${stack.urls.ongoingAdmin}articles/20003`, { method: "DELETE" });
    expect(await webhook("article-deleted", "--article", "20003")).toBe(0);
    await stack.idle();
    expect({ item: await article(20003), status: await stack.status() }).toMatchObject({
      item: { deleted: { BOOL: true } },
    });
  });

  it("holds an article's webhooks on its queue while its consumer is disabled, and mirrors them once enabled", async () => {
    await stack.setConsumerEnabled("article-sync", false);
    try {
      expect(await webhook("article-created", "--article", "20004")).toBe(0);
      const queued = async () =>
        (await stack.status()).queues.find((queue) => queue.useCase === "article-sync")?.visible;
      expect(await queued()).toBe(1);
      // Longer than the event source's long poll and batching window: nothing may take it meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(await queued()).toBe(1);
      expect(await article(20004)).toBeUndefined();
    } finally {
      await stack.setConsumerEnabled("article-sync", true);
    }
    await stack.idle();
    expect((await article(20004))?.articleSystemId?.N).toBe("20004");
  });

  it("books transport and writes the waybill, tracking, parcel and label back to Ongoing", async () => {
    expect(await webhook("transport-booking", "--order", "60012")).toBe(0);
    await stack.idle();
    const writes = await ongoingWrites();
    expect(writes).toContainEqual(
      expect.objectContaining({ operation: "patchWaybill", path: "/orders/60012/waybill" }),
    );
    // The rest of the walkthrough's step 5 (docs/local-and-simulators.md), each accepted by the simulator.
    const order60012 = writes.filter((write) => write.path.startsWith("/orders/60012/"));
    expect(order60012).toContainEqual(
      expect.objectContaining({
        operation: "putOrderTracking",
        path: "/orders/60012/orderTracking",
        status: 200,
        body: expect.objectContaining({ trackingUrl: expect.any(String), isReturnTracking: false }),
      }),
    );
    expect(order60012).toContainEqual(
      expect.objectContaining({
        operation: "putParcel",
        path: "/orders/60012/parcels",
        status: 200,
        body: expect.objectContaining({ parcelNumber: expect.any(String) }),
      }),
    );
    expect(order60012).toContainEqual(
      expect.objectContaining({
        operation: "postOrderFile",
        path: "/orders/60012/files",
        status: 200,
        body: expect.objectContaining({ fileName: expect.any(String), fileDataBase64: expect.any(String) }),
      }),
    );
    const bookings = (await (await fetch(`${stack.urls.transportAdmin}/bookings`)).json()) as unknown[];
    expect(JSON.stringify(bookings)).toContain("60012");
    expect((await stack.status()).queues.every((queue) => queue.deadLetters === 0)).toBe(true);
    // The label went through the template's documents bucket, in the local S3 (fauxqs, beside SQS).
    const s3 = new S3Client({
      region: "eu-west-1",
      endpoint: stack.urls.sqs,
      credentials: localCredentials,
      forcePathStyle: true,
    });
    const { Contents = [] } = await s3.send(
      new ListObjectsV2Command({ Bucket: stack.buckets.documents, Prefix: "booking-documents/159/60012/" }),
    );
    s3.destroy();
    expect(Contents.map((object) => object.Key)).toEqual([
      expect.stringMatching(/^booking-documents\/159\/60012\/1-label-/),
    ]);
  });

  it("rejects a bad token, a missing token and bad payloads at the ingress, queueing nothing", async () => {
    await stack.idle();
    const callsBefore = await ongoingCallCount();
    const valid = JSON.stringify({ webhookEventId: 1, goodsOwnerId: 159, articleSystemId: 18068 });
    const denied = await post("article-updated", valid, { "x-auth-token": "wrong" });
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({ reason: "invalid-token" });
    const missing = await fetch(`${stack.urls.ingress}/webhooks/article-updated`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: valid,
    });
    expect(missing.status).toBe(401);
    const invalid = await post("article-updated", JSON.stringify({ webhookEventId: 1, goodsOwnerId: 159 }));
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({
      message: "Invalid request body",
      expected: expect.stringContaining("webhookEventId"),
    });
    expect((await post("article-updated", "not json")).status).toBe(400);
    expect((await post("article-updated", valid, { "content-type": "text/plain" })).status).toBe(415);
    const oversize = JSON.stringify({
      webhookEventId: 1,
      goodsOwnerId: 159,
      articleSystemId: 1,
      pad: "x".repeat(70_000),
    });
    expect((await post("article-updated", oversize)).status).toBe(413);
    expect((await fetch(`${stack.urls.ingress}/webhooks/nowhere`, { method: "POST" })).status).toBe(403);

    await stack.idle();
    expect(await ongoingCallCount()).toBe(callsBefore);
  });

  it("passes the smoke checks a deployment gets after cdk deploy, queueing nothing", async () => {
    await stack.idle();
    const callsBefore = await ongoingCallCount();
    const results = await smoke({ url: stack.urls.ingress, token: stack.webhookToken });
    expect(results.filter((result) => !result.passed)).toEqual([]);
    expect(results.map((result) => result.status)).toEqual([401, 403, 415, 400, 413, 403]);
    await stack.idle();
    expect(await ongoingCallCount()).toBe(callsBefore);
  });

  it("reports its status, as JSON and as a page", async () => {
    const status = (await (await fetch(`${stack.urls.ingress}/_local/status`)).json()) as LocalStatus;
    expect(status).toMatchObject({
      tables: { articles: stack.tables.articles, state: stack.tables.state },
      endpoints: {
        dynamodb: stack.urls.dynamodb,
        sqs: stack.urls.sqs,
        ses: stack.urls.ses,
        ongoing: stack.urls.ongoing,
        transport: stack.urls.transport,
        secretsManager: stack.urls.secretsManager,
        ingress: stack.urls.ingress,
      },
    });
    // Exactly the documented endpoints, each a loopback URL.
    expect(Object.keys(status.endpoints).sort()).toEqual(
      ["dynamodb", "ingress", "ongoing", "secretsManager", "ses", "sqs", "transport"].sort(),
    );
    for (const url of Object.values(status.endpoints)) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
    expect(status.queues.map((queue) => queue.useCase).sort()).toEqual([
      "article-reconcile",
      "article-sync",
      "order-shipped-email",
      "transport-booking",
      "transport-status",
    ]);
    expect(status.queues[0]).toEqual(
      expect.objectContaining({ visible: 0, inFlight: 0, deadLetters: 0, consuming: true }),
    );
    expect(status.breakers).toEqual([
      { dependency: "ongoing", position: "closed" },
      { dependency: "ses", position: "closed" },
      { dependency: "transport", position: "closed" },
    ]);
    const page = await fetch(`${stack.urls.ingress}/_local`);
    expect(page.headers.get("content-type")).toContain("text/html");
    const html = await page.text();
    // It refreshes itself, and has a row per queue.
    expect(html).toMatch(/<meta http-equiv="refresh" content="\d+">/);
    for (const queue of status.queues) expect(html).toContain(`<tr><td>${queue.useCase}</td>`);
  });

  it("runs the article reconcile on demand", async () => {
    const response = await fetch(`${stack.urls.ingress}/_local/reconcile`, { method: "POST" });
    expect(response.status).toBe(200);
    expect(JSON.stringify(await response.json())).toContain("159");
  });

  it("runs the article reconcile on the template's schedule", async () => {
    const template = stack.assembly.template;
    const [reconcileId] =
      resourcesOfType(template, "AWS::Lambda::Function").find(
        ([, resource]) => metadataOf(resource)?.kind === "reconcile",
      ) ?? [];
    const rule = resourcesOfType(template, "AWS::Events::Rule").find(
      ([, resource]) => reconcileId && referencedIds(resource.Properties).includes(reconcileId),
    );
    const expression = String(rule?.[1].Properties?.ScheduleExpression);
    // cdk.json leaves articleReconcile.rateMinutes at its default, 60.
    expect(expression).toBe("rate(1 hour)");
    // Beside the breaker probe's, every minute.
    expect(scheduled).toEqual([
      expect.objectContaining({ ms: rateMs(expression), cleared: false }),
      expect.objectContaining({ ms: 60_000, cleared: false }),
    ]);

    const listed = (await ongoingCalls()).byOperation.listArticles ?? 0;
    const answer = await scheduled[0]?.tick();
    // The tick ran the reconcile itself: the dispatcher's answer names the goods owner, and the worker read Ongoing.
    expect(JSON.stringify(answer)).toContain("159");
    expect((await ongoingCalls()).byOperation.listArticles ?? 0).toBeGreaterThan(listed);
  });

  it("runs the breaker probe on its schedule: with every breaker closed it asks no dependency", async () => {
    const calls = (await ongoingCalls()).total;
    const report = (await scheduled[1]?.tick()) as { breakers: { position: string }[]; paused: string[] };
    expect(report.paused).toEqual([]);
    expect(report.breakers.map((breaker) => breaker.position)).toEqual(["closed", "closed", "closed"]);
    expect((await ongoingCalls()).total).toBe(calls);
    expect(stack.eventSourceEnabled("article-sync")).toBe(true);
  });

  it("redrives dead letters back to their queue, without the failure attributes", async () => {
    const queue = stack.queues.find((candidate) => candidate.useCase === "article-sync");
    if (!queue) throw new Error("no article-sync queue");
    const sqs = new SQSClient({
      region: "eu-west-1",
      endpoint: stack.urls.sqs,
      credentials: localCredentials,
    });
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queue.deadLetterUrl,
        MessageBody: JSON.stringify({ webhookEventId: 991, goodsOwnerId: 159, articleSystemId: 20004 }),
        MessageAttributes: {
          eventType: { DataType: "String", StringValue: "article-updated" },
          failureReason: { DataType: "String", StringValue: "Ongoing was down" },
        },
      }),
    );
    expect(
      await redriveByCopy({ sqs, queueUrl: queue.url, deadLetterUrl: queue.deadLetterUrl, dryRun: true }),
    ).toHaveLength(1);
    const moved = await redriveByCopy({ sqs, queueUrl: queue.url, deadLetterUrl: queue.deadLetterUrl });
    expect(moved).toEqual([expect.objectContaining({ failureReason: "Ongoing was down" })]);
    await stack.idle();
    expect((await article(20004))?.articleSystemId?.N).toBe("20004");
    expect(
      (await stack.status()).queues.find((candidate) => candidate.useCase === "article-sync")?.deadLetters,
    ).toBe(0);
    sqs.destroy();
  });
});
