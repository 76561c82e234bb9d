/**
 * The breaker probe as deployed (its handler, configured by its environment) against real local parts: the
 * Ongoing simulator (503 while "down"), the SES emulator's GetAccount, the state table in dynalite, SQS, and the
 * Lambda API stand-in whose mappings it pauses and resumes.
 */

import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateQueueCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type Emulator, localSesAccount, startSes, startSqs } from "../../local/emulators.ts";
import { type LambdaApiStandIn, type LocalMapping, startLambdaApi } from "../../local/lambda-api.ts";
import { loginSecret, useLocalAws, useOngoingSimulator } from "../../test/support/env.ts";
import { BreakerStore } from "../shared/breaker/store.ts";

const ongoing = useOngoingSimulator();
const aws = useLocalAws({
  secrets: { "ongoing/credentials": loginSecret("demo") },
  dynamo: { tablePrefix: "probe" },
});

const mappings = new Map<string, LocalMapping & { changes: boolean[] }>();
function mapping(uuid: string, enabled = true) {
  let on = enabled;
  const entry = {
    functionName: uuid,
    changes: [] as boolean[],
    get enabled() {
      return on;
    },
    async setEnabled(value: boolean) {
      on = value;
      entry.changes.push(value);
    },
  };
  mappings.set(uuid, entry);
  return entry;
}
const articleSync = mapping("mapping-article-sync");
const mail = mapping("mapping-mail");
// Turned off by an operator: the breaker never resumes what it did not pause.
const transport = mapping("mapping-transport", false);

let lambdaApi: LambdaApiStandIn;
let sqs: Emulator;
let ses: Emulator;
let store: BreakerStore;
let probe: (
  event: unknown,
  context: Context,
) => Promise<{
  breakers: { dependency: string; position: string; waiting: number }[];
  paused: string[];
  resumed: string[];
  deferred: { useCase: string; reason: string }[];
}>;
const context = { getRemainingTimeInMillis: () => 60_000 } as Context;

beforeAll(async () => {
  lambdaApi = await startLambdaApi(mappings);
  sqs = await startSqs();
  ses = await startSes();
  const sqsClient = new SQSClient({
    endpoint: sqs.endpoint,
    region: "eu-west-1",
    credentials: { accessKeyId: "l", secretAccessKey: "l" },
  });
  const queueUrl = async (name: string) =>
    String((await sqsClient.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl);
  const articleQueue = await queueUrl("article-sync");
  for (let i = 0; i < 3; i++)
    await sqsClient.send(new SendMessageCommand({ QueueUrl: articleQueue, MessageBody: "{}" }));
  const consumers = [
    {
      useCase: "article-sync",
      mappingId: "mapping-article-sync",
      queueUrl: articleQueue,
      dependencies: ["ongoing"],
    },
    {
      useCase: "order-shipped-email",
      mappingId: "mapping-mail",
      queueUrl: await queueUrl("mail"),
      dependencies: ["ongoing", "ses"],
    },
    {
      useCase: "transport-booking",
      mappingId: "mapping-transport",
      queueUrl: await queueUrl("transport"),
      dependencies: ["ongoing"],
    },
  ];
  sqsClient.destroy();
  vi.stubEnv("AWS_ENDPOINT_URL_LAMBDA", lambdaApi.endpoint);
  vi.stubEnv("AWS_ENDPOINT_URL_SQS", sqs.endpoint);
  vi.stubEnv("AWS_ENDPOINT_URL_SESV2", ses.endpoint);
  vi.stubEnv("AWS_REGION", "eu-west-1");
  vi.stubEnv("ONGOING_BASE_URL", ongoing.baseUrl);
  vi.stubEnv("ONGOING_CREDENTIALS_SECRET", "ongoing/credentials");
  vi.stubEnv("ONGOING_REQUEST_TIMEOUT_MS", "2000");
  vi.stubEnv("STATE_TABLE_NAME", aws.tables.state);
  vi.stubEnv("BREAKER_CONSUMERS", JSON.stringify(consumers));
  // Half-open → closed needs a second good probe this long after half-opening.
  vi.stubEnv("BREAKER_PROBE_INTERVAL_SECONDS", "0.2");
  ({ handler: probe } = (await import("./index.ts")) as unknown as { handler: typeof probe });
  const client = new DynamoDBClient({
    endpoint: aws.dynamo.endpoint,
    region: "eu-west-1",
    credentials: { accessKeyId: "l", secretAccessKey: "l" },
  });
  store = new BreakerStore(aws.tables.state, DynamoDBDocumentClient.from(client));
}, 60_000);

afterAll(async () => {
  await lambdaApi?.stop();
  await sqs?.stop();
  await ses?.stop();
});

const position = async (dependency: "ongoing" | "ses") =>
  (await store.read([dependency])).get(dependency)?.position;

describe("the breaker probe", () => {
  it("leaves closed breakers alone and asks nothing", async () => {
    const callsBefore = ongoing.state.requests.length;
    const report = await probe({}, context);
    expect(report.paused).toEqual([]);
    expect(report.breakers.every((breaker) => breaker.position === "closed")).toBe(true);
    expect(ongoing.state.requests.length).toBe(callsBefore);
  });

  it("while Ongoing answers 503: keeps the breaker open and pauses every consumer that needs Ongoing", async () => {
    await store.open("ongoing", "Ongoing getOrder answered 503", Date.now() - 3_600_000);
    ongoing.state.addFault({ status: 503, forMs: 60_000 });
    const report = await probe({}, context);
    expect(await position("ongoing")).toBe("open");
    expect(report.paused.sort()).toEqual(["article-sync", "order-shipped-email"]);
    expect(lambdaApi.enabled("mapping-article-sync")).toBe(false);
    expect(lambdaApi.enabled("mapping-mail")).toBe(false);
    expect(transport.changes).toEqual([]);
    const breaker = report.breakers.find((b) => b.dependency === "ongoing");
    expect(breaker).toMatchObject({ position: "open", waiting: 3 });
    expect((await store.read(["ongoing"])).get("ongoing")?.probeResult).toContain("503");
    // A second look changes nothing.
    expect((await probe({}, context)).paused).toEqual([]);
  });

  it("when Ongoing answers again: half-opens and resumes exactly what it paused, then closes", async () => {
    ongoing.state.clearFaults();
    const report = await probe({}, context);
    expect(await position("ongoing")).toBe("half-open");
    expect(report.resumed.sort()).toEqual(["article-sync", "order-shipped-email"]);
    await vi.waitFor(() => expect(lambdaApi.enabled("mapping-mail")).toBe(true));
    expect(articleSync.changes).toEqual([false, true]);
    expect(mail.changes).toEqual([false, true]);
    expect(transport.changes).toEqual([]);
    expect(await store.pausedMappings()).toEqual(new Set());

    await new Promise((resolve) => setTimeout(resolve, 250));
    await probe({}, context);
    expect(await position("ongoing")).toBe("closed");
  });

  it("leaves a mapping in a transitional state for the next run, and still handles the others", async () => {
    await store.open("ongoing", "Ongoing getOrder answered 503", Date.now());
    ongoing.state.addFault({ status: 503, forMs: 60_000 });
    lambdaApi.hold("mapping-article-sync", "Updating");
    const changesBefore = articleSync.changes.length;
    const report = await probe({}, context);
    expect(report.paused).toEqual(["order-shipped-email"]);
    expect(report.deferred).toEqual([{ useCase: "article-sync", reason: "mapping Updating" }]);
    expect(report.breakers.find((b) => b.dependency === "ongoing")).toMatchObject({ position: "open" });

    // The breaker's own pause still on its way (Disabling) when Ongoing answers again: resumed next run.
    lambdaApi.hold("mapping-article-sync", undefined);
    await probe({}, context);
    await vi.waitFor(() => expect(lambdaApi.enabled("mapping-article-sync")).toBe(false));
    ongoing.state.clearFaults();
    lambdaApi.hold("mapping-mail", "Disabling");
    const resuming = await probe({}, context);
    expect(resuming.resumed).toEqual(["article-sync"]);
    expect(resuming.deferred).toEqual([{ useCase: "order-shipped-email", reason: "mapping Disabling" }]);
    expect(await store.pausedMappings()).toEqual(new Set(["mapping-mail"]));
    lambdaApi.hold("mapping-mail", undefined);
    const next = await probe({}, context);
    expect(next.resumed).toEqual(["order-shipped-email"]);
    await vi.waitFor(() => expect(lambdaApi.enabled("mapping-mail")).toBe(true));
    expect(articleSync.changes.slice(changesBefore)).toEqual([false, true]);
    await store.close("ongoing", Date.now());
  });

  it("closes a half-open breaker at the next scheduled run even when that run comes a little early", async () => {
    const { probeBreakers } = await import("./probe.ts");
    const { ongoingCheck } = await import("./checks.ts");
    const { breakerProbeSettingsSchema, readSettings } = await import("../shared/contract/settings.ts");
    const settings = readSettings(breakerProbeSettingsSchema);
    const intervalMs = settings.BREAKER_PROBE_INTERVAL_SECONDS * 1000;
    const halfOpenedAt = Date.now();
    await store.open("ongoing", "503", halfOpenedAt);
    await store.halfOpen("ongoing", halfOpenedAt);
    const run = (afterMs: number) =>
      probeBreakers({
        store,
        checks: { ongoing: ongoingCheck(settings) },
        consumers: settings.BREAKER_CONSUMERS,
        // Nothing is paused and the breaker is not open: the mappings and queues are not asked.
        mappingState: () => Promise.reject(new Error("not expected")),
        setMappingEnabled: () => Promise.reject(new Error("not expected")),
        waiting: () => Promise.resolve(0),
        probeIntervalSeconds: settings.BREAKER_PROBE_INTERVAL_SECONDS,
        now: () => halfOpenedAt + afterMs,
      });
    await run(intervalMs * 0.5);
    expect(await position("ongoing")).toBe("half-open");
    const report = await run(intervalMs * 0.95);
    expect(await position("ongoing")).toBe("closed");
    expect(report.deferred).toEqual([]);
  });

  it("reopens a half-open breaker whose dependency fails the probe again", async () => {
    await store.open("ongoing", "503", Date.now());
    await store.halfOpen("ongoing", Date.now());
    ongoing.state.addFault({ status: 503, forMs: 60_000 });
    await probe({}, context);
    expect(await position("ongoing")).toBe("open");
    ongoing.state.clearFaults();
    await probe({}, context);
    expect(await position("ongoing")).toBe("half-open");
    await store.close("ongoing", Date.now());
    await probe({}, context);
  });

  it("waits for SES's daily quota instead of resuming the mail consumer", async () => {
    const exhausted = {
      ...localSesAccount,
      SendQuota: { Max24HourSend: 200, MaxSendRate: 14, SentLast24Hours: 200 },
    };
    vi.stubEnv("AWS_SES_ACCOUNT", JSON.stringify(exhausted));
    await store.open("ses", "SES throttled: Daily message quota exceeded", Date.now());
    const report = await probe({}, context);
    expect(await position("ses")).toBe("open");
    expect(report.paused).toEqual(["order-shipped-email"]);
    expect((await store.read(["ses"])).get("ses")?.probeResult).toContain("daily quota used up");

    vi.stubEnv("AWS_SES_ACCOUNT", JSON.stringify(localSesAccount));
    const after = await probe({}, context);
    expect(await position("ses")).toBe("half-open");
    expect(after.resumed).toEqual(["order-shipped-email"]);
  });
});
