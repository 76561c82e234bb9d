/**
 * The probe's questions to the transport system and Ongoing, against real HTTP servers: the transport simulator,
 * one that answers 503 (or the status asked for in `?status=`), a closed port, and the Ongoing simulator with good and wrong credentials.
 */
import { createServer } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeServer, listen } from "../../simulators/http.ts";
import {
  loginSecret,
  useLocalAws,
  useOngoingSimulator,
  useTransportSimulator,
} from "../../test/support/env.ts";
import { breakerProbeSettingsSchema, readSettings } from "../shared/contract/settings.ts";
import { ongoingCheck, transportCheck } from "./checks.ts";

const transport = useTransportSimulator();
const ongoing = useOngoingSimulator();
useLocalAws({
  secrets: {
    "ongoing/credentials": loginSecret("demo"),
    "ongoing/wrong": JSON.stringify({ username: "demo", password: "not-it" }),
    "ongoing/oauth": JSON.stringify({ clientId: "demo-client", clientSecret: "demo-client-secret" }),
    "ongoing/oauth-wrong": JSON.stringify({ clientId: "demo-client", clientSecret: "not-it" }),
    "ongoing/automation": JSON.stringify({ username: "automation", password: "automation-password" }),
  },
});

const unavailable = createServer((request, response) => {
  response.writeHead(Number(new URL(request.url ?? "/", "http://x").searchParams.get("status") ?? 503));
  response.end("maintenance");
});
let unavailableUrl: string;
beforeAll(async () => {
  unavailableUrl = `http://127.0.0.1:${await listen(unavailable)}/bookings`;
});
afterAll(() => closeServer(unavailable));

const settings = (env: Record<string, string>) =>
  readSettings(breakerProbeSettingsSchema, {
    ONGOING_BASE_URL: ongoing.baseUrl,
    STATE_TABLE_NAME: "state",
    BREAKER_CONSUMERS: "[]",
    ONGOING_REQUEST_TIMEOUT_MS: "1000",
    TRANSPORT_ADAPTER_TIMEOUT_MS: "1000",
    ...env,
  });

describe("the transport system's probe", () => {
  it("is healthy when the adapter answers anything but unavailable (the simulator's 404 for a GET)", async () => {
    const check = transportCheck(settings({ TRANSPORT_ADAPTER_URL: transport.bookingUrl }));
    expect(await check?.()).toMatchObject({ healthy: true, detail: expect.stringContaining("404") });
  });

  it("is unhealthy on 503 and on no answer at all", async () => {
    expect(await transportCheck(settings({ TRANSPORT_ADAPTER_URL: unavailableUrl }))?.()).toMatchObject({
      healthy: false,
      detail: expect.stringContaining("503"),
    });
    expect(
      await transportCheck(settings({ TRANSPORT_ADAPTER_URL: "http://127.0.0.1:9/bookings" }))?.(),
    ).toMatchObject({
      healthy: false,
    });
  });

  it("is up on any answer but unavailable (a 405 for the GET too), down on every 5xx", async () => {
    const answering = async (status: number) =>
      (await transportCheck(settings({ TRANSPORT_ADAPTER_URL: `${unavailableUrl}?status=${status}` }))?.())
        ?.healthy;
    expect(await answering(405)).toBe(true);
    expect(await answering(404)).toBe(true);
    expect(await answering(400)).toBe(true);
    expect(await answering(500)).toBe(false);
    expect(await answering(502)).toBe(false);
  });

  it("finds the simulator down in its outage (503 or dropped connections) and up once it is lifted", async () => {
    const check = transportCheck(settings({ TRANSPORT_ADAPTER_URL: transport.bookingUrl }));
    try {
      transport.startOutage();
      expect(await check?.()).toMatchObject({ healthy: false, detail: expect.stringContaining("503") });
      transport.startOutage({ reset: true });
      expect(await check?.()).toMatchObject({ healthy: false });
    } finally {
      transport.endOutage();
    }
    expect(await check?.()).toMatchObject({ healthy: true });
  });

  it("is absent without an adapter URL (no transport breaker to probe)", () => {
    expect(transportCheck(settings({}))).toBeUndefined();
  });
});

describe("Ongoing's probe", () => {
  it("reads orders/statuses with the default credentials", async () => {
    const check = ongoingCheck(settings({ ONGOING_CREDENTIALS_SECRET: "ongoing/credentials" }));
    expect(await check()).toEqual({ healthy: true, detail: "GET orders/statuses answered 200" });
  });

  it("counts a 401 as an answer: Ongoing is up, wrong credentials are a goods owner's matter", async () => {
    const check = ongoingCheck(settings({ ONGOING_CREDENTIALS_SECRET: "ongoing/wrong" }));
    expect(await check()).toEqual({ healthy: true, detail: "GET orders/statuses answered 401" });
  });

  it("reads orders/statuses with a bearer token when the secret holds an OAuth client", async () => {
    const check = ongoingCheck(
      settings({ ONGOING_CREDENTIALS_SECRET: "ongoing/oauth", ONGOING_TOKEN_URL: ongoing.tokenUrl }),
    );
    expect(await check()).toEqual({ healthy: true, detail: "GET orders/statuses answered 200" });
    const probe = ongoing.state.requests.filter((request) => request.operation !== "token").at(-1);
    expect(probe?.headers.Authorization).toBe("Bearer ***");
  });

  it("counts the login service refusing the OAuth client as an answer too", async () => {
    const check = ongoingCheck(
      settings({ ONGOING_CREDENTIALS_SECRET: "ongoing/oauth-wrong", ONGOING_TOKEN_URL: ongoing.tokenUrl }),
    );
    expect(await check()).toMatchObject({ healthy: true });
  });

  it("is unhealthy while Ongoing answers 503", async () => {
    ongoing.state.addFault({ status: 503, times: 1 });
    const check = ongoingCheck(settings({ ONGOING_CREDENTIALS_SECRET: "ongoing/credentials" }));
    expect(await check()).toMatchObject({ healthy: false, detail: expect.stringContaining("503") });
  });
});

describe("Ongoing's probe asks the APIs the paused consumers use", () => {
  const consumer = (useCase: string) => ({
    useCase,
    mappingId: `m-${useCase}`,
    queueUrl: "q",
    dependencies: ["ongoing"],
  });
  const withConsumers = (useCases: string[]) =>
    settings({
      ONGOING_CREDENTIALS_SECRET: "ongoing/credentials",
      ONGOING_AUTOMATION_CREDENTIALS_SECRET: "ongoing/automation",
      BREAKER_CONSUMERS: JSON.stringify(useCases.map(consumer)),
    });
  const automationOutage = () =>
    ongoing.state.addFault({ status: 503, path: "Automation\\.asmx", forMs: 60_000 });

  it("asks both REST and the Automation API (an order no warehouse has) when transport-status is behind the breaker", async () => {
    const check = ongoingCheck(withConsumers(["order-shipped-email", "transport-status"]));
    expect(await check()).toEqual({
      healthy: true,
      detail: expect.stringMatching(
        /^GET orders\/statuses answered 200; Automation GetOrdersByQuery answered/,
      ),
    });
  });

  it("is unhealthy in an Automation-API-only outage, so the breaker does not half-open on REST's answer", async () => {
    automationOutage();
    try {
      const check = ongoingCheck(withConsumers(["article-sync", "transport-status"]));
      expect(await check()).toMatchObject({ healthy: false, detail: expect.stringContaining("503") });
      // Consumers on REST alone: the Automation API is not asked, so its outage does not hold them.
      const calls = ongoing.state.requests.length;
      expect(await ongoingCheck(withConsumers(["article-sync"]))()).toEqual({
        healthy: true,
        detail: "GET orders/statuses answered 200",
      });
      expect(ongoing.state.requests.slice(calls).map((request) => request.operation)).not.toContain(
        "GetOrdersByQuery",
      );
    } finally {
      ongoing.state.clearFaults();
    }
    expect(await ongoingCheck(withConsumers(["transport-status"]))()).toMatchObject({ healthy: true });
  });
});
