/**
 * The circuit breakers' states shared across containers: two breaker instances (two containers), each with its
 * own store client and cache, over one state table in dynalite.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { useLocalAws } from "../../../test/support/env.ts";
import { OngoingWriteUnknownError } from "../ongoing/call.ts";
import { dependencyAnswered, takeAnswered } from "./answers.ts";
import { CircuitBreakers } from "./breakers.ts";
import { BreakerStore, breakerKey } from "./store.ts";

const aws = useLocalAws({ dynamo: { tablePrefix: "breakers" } });
const clients: DynamoDBClient[] = [];
afterAll(() => {
  for (const client of clients) client.destroy();
});

/** One container: its own DynamoDB client, store and breaker cache. */
function container(options: { cacheMs?: number } = {}) {
  const client = new DynamoDBClient({
    endpoint: aws.dynamo.endpoint,
    region: "eu-west-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  clients.push(client);
  const store = new BreakerStore(aws.tables.state, DynamoDBDocumentClient.from(client));
  const breakers = new CircuitBreakers(store, ["ongoing", "ses"], {
    failureThreshold: 3,
    trialRecords: 2,
    probeIntervalSeconds: 60,
    cacheMs: options.cacheMs ?? 0,
    random: () => 0,
  });
  return { store, breakers };
}

beforeEach(async () => {
  takeAnswered();
  // A fresh start: close whatever a test left open.
  const { store } = container();
  for (const dependency of ["ongoing", "ses"] as const) await store.close(dependency, Date.now());
});

describe("circuit breakers shared across containers", () => {
  it("opens after records in a row fail on a dependency, and stops the other container's records too", async () => {
    const a = container();
    const b = container();
    expect(await a.breakers.outage("ongoing", "503")).toBe(false);
    expect(await a.breakers.outage("ongoing", "503")).toBe(false);
    expect(await b.breakers.admit()).toEqual({ run: true });
    expect(await a.breakers.outage("ongoing", "Ongoing getOrder answered 503")).toBe(true);

    const admission = await b.breakers.admit();
    expect(admission).toMatchObject({ run: false, dependency: "ongoing", delaySeconds: 60 });
    const [state] = (await b.store.read(["ongoing"])).values();
    expect(state).toMatchObject({ position: "open", reason: "Ongoing getOrder answered 503" });
    expect(state?.openedAt).toBeGreaterThan(Date.now() - 10_000);
    // A failure seen by the other container while open: wait, nothing counted.
    expect(await b.breakers.outage("ongoing", "503")).toBe(true);
  });

  it("does not open on failures with answers between them (one order's 404 is an answer)", async () => {
    const a = container();
    for (let record = 0; record < 6; record++) {
      expect(await a.breakers.outage("ongoing", "time-out")).toBe(false);
      dependencyAnswered("ongoing");
      await a.breakers.settle();
    }
    expect((await a.store.read(["ongoing"])).get("ongoing")?.position).toBe("closed");
  });

  it("opens when records read a dependency and then fail writing to it (its reads answer, its writes do not)", async () => {
    const failure = new OngoingWriteUnknownError(
      { code: "ongoing-unavailable", message: "Ongoing postOrderFile answered 503" },
      { unanswered: true },
    );
    expect(failure.dependency).toBe("ongoing");
    const a = container();
    const results: boolean[] = [];
    for (let record = 0; record < 3; record++) {
      dependencyAnswered("ongoing"); // the record's GET answered
      results.push(await a.breakers.outage("ongoing", failure.message));
    }
    expect(results).toEqual([false, false, true]);
    expect((await a.store.read(["ongoing"])).get("ongoing")?.position).toBe("open");
  });

  it("half-open lets a few trial records through across containers, then the first answer closes it", async () => {
    const a = container();
    const b = container();
    await a.store.open("ses", "throttled", Date.now());
    expect(await a.store.halfOpen("ses", Date.now())).toBe(true);
    expect(await a.store.halfOpen("ses", Date.now())).toBe(false);

    expect(await a.breakers.admit()).toEqual({ run: true });
    expect(await b.breakers.admit()).toEqual({ run: true });
    const third = await b.breakers.admit();
    expect(third).toMatchObject({ run: false, dependency: "ses", delaySeconds: 15 });

    dependencyAnswered("ses");
    await a.breakers.settle();
    expect((await b.store.read(["ses"])).get("ses")).toMatchObject({ position: "closed", trials: 0 });
    expect(await b.breakers.admit()).toEqual({ run: true });
  });

  it("a failed trial reopens it at once, keeping when the outage began", async () => {
    const a = container();
    const b = container();
    const began = Date.now() - 3_600_000;
    await a.store.open("ongoing", "503", began);
    await a.store.halfOpen("ongoing", Date.now());
    expect(await b.breakers.admit()).toEqual({ run: true });
    expect(await b.breakers.outage("ongoing", "still 503")).toBe(true);
    expect((await a.store.read(["ongoing"])).get("ongoing")).toMatchObject({
      position: "open",
      openedAt: began,
      reason: "still 503",
    });
  });

  it("reads the shared state at most once per cacheMs", async () => {
    const cached = container({ cacheMs: 60_000 });
    const other = container();
    expect(await cached.breakers.admit()).toEqual({ run: true });
    await other.store.open("ongoing", "503", Date.now());
    expect(await cached.breakers.admit()).toEqual({ run: true });
    expect(await container().breakers.admit()).toMatchObject({ run: false });
  });

  it("keeps each dependency in its own item, and the paused mappings in another", async () => {
    const { store } = container();
    await store.markPaused("uuid-1", true);
    await store.markPaused("uuid-2", true);
    await store.markPaused("uuid-1", false);
    expect(await store.pausedMappings()).toEqual(new Set(["uuid-2"]));
    expect(breakerKey("transport")).toBe("breaker#transport");
  });
});
