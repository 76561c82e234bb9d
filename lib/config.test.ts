import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "./config.ts";

const cdkContext = (
  JSON.parse(readFileSync(new URL("../cdk.json", import.meta.url), "utf8")) as {
    context: Record<string, unknown>;
  }
).context;

const parseWith = (overrides: Record<string, unknown>) => parseConfig({ ...cdkContext, ...overrides });

function errorOf(overrides: Record<string, unknown>): string {
  try {
    parseWith(overrides);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("parseConfig", () => {
  it("reads cdk.json with defaults filled in", () => {
    const config = parseWith({});
    expect(config.webhookAuth).toMatchObject({
      headerName: "X-Auth-Token",
      allowBasicAuth: false,
      cacheTtlSeconds: 300,
    });
    expect(config.useCases["order-shipped-email"]).toMatchObject({
      enabled: true,
      batchSize: 10,
      maxReceiveCount: 8,
    });
    expect(config.ingress.maxBodyBytes).toBe(65_536);
    expect(config.trail).toEqual({ retentionDays: 30 });
  });

  it("gives article-sync batches of up to 100 gathered for 1 s (also when other fields are set), 10 and 0 elsewhere", () => {
    expect(parseWith({}).useCases["article-sync"]).toMatchObject({
      batchSize: 100,
      batchingWindowSeconds: 1,
    });
    expect(parseWith({}).useCases["transport-booking"].batchSize).toBe(10);
    expect(parseWith({}).useCases["order-shipped-email"].batchingWindowSeconds).toBe(0);
    const config = parseWith({
      "ongoingWebhooks.useCases.article-sync.batchSize": 5,
      "ongoingWebhooks.useCases.transport-booking.batchingWindowSeconds": 3,
    });
    expect(config.useCases["article-sync"]).toMatchObject({ batchSize: 5, batchingWindowSeconds: 1 });
    expect(config.useCases["transport-booking"].batchingWindowSeconds).toBe(3);
  });

  it("defaults the OAuth token endpoint to Ongoing's login service, with no scope", () => {
    expect(parseWith({}).ongoing).toMatchObject({ tokenUrl: "https://login.ongoingwms.com/connect/token" });
    expect(parseWith({}).ongoing.tokenScope).toBeUndefined();
    expect(parseWith({ "ongoingWebhooks.ongoing.tokenScope": "wms.api wms.read" }).ongoing.tokenScope).toBe(
      "wms.api wms.read",
    );
  });

  it("applies -c ongoingWebhooks.<path>=<value> overrides (JSON or plain string)", () => {
    const config = parseWith({
      "ongoingWebhooks.useCases.transport-booking.enabled": "false",
      "ongoingWebhooks.webhookAuth.headerName": "X-Webhook-Key",
    });
    expect(config.useCases["transport-booking"].enabled).toBe(false);
    expect(config.webhookAuth.headerName).toBe("X-Webhook-Key");
  });

  it.each([
    [
      { "ongoingWebhooks.ongoing.baseUrl": "http://api.ongoingsystems.se/x/api/v1/" },
      "ongoingWebhooks.ongoing.baseUrl",
    ],
    [
      { "ongoingWebhooks.ongoing.baseUrl": "https://api.ongoingsystems.se/x/" },
      "ongoingWebhooks.ongoing.baseUrl",
    ],
    [
      { "ongoingWebhooks.ongoing.tokenUrl": "http://login.ongoingwms.com/connect/token" },
      "ongoingWebhooks.ongoing.tokenUrl",
    ],
    [{ "ongoingWebhooks.ongoing.tokenScope": 'api "all"' }, "ongoingWebhooks.ongoing.tokenScope"],
    [
      { "ongoingWebhooks.ongoing.credentialsSecretName": "bad name!" },
      "ongoingWebhooks.ongoing.credentialsSecretName",
    ],
    [{ "ongoingWebhooks.webhookAuth.headerName": "X Auth" }, "ongoingWebhooks.webhookAuth.headerName"],
    [
      { "ongoingWebhooks.useCases.article-sync.batchSize": 0 },
      "ongoingWebhooks.useCases.article-sync.batchSize",
    ],
    [
      { "ongoingWebhooks.useCases.article-sync.maxConcurrency": 1 },
      "ongoingWebhooks.useCases.article-sync.maxConcurrency",
    ],
    [
      { "ongoingWebhooks.useCases.article-sync.batchingWindowSeconds": 301 },
      "ongoingWebhooks.useCases.article-sync.batchingWindowSeconds",
    ],
    [{ "ongoingWebhooks.useCases.nope": {} }, "ongoingWebhooks.useCases"],
    [{ "ongoingWebhooks.ingress.maxBodyBytes": 1_000_000 }, "ongoingWebhooks.ingress.maxBodyBytes"],
    [{ "ongoingWebhooks.logRetentionDays": 10 }, "ongoingWebhooks.logRetentionDays"],
    [{ "ongoingWebhooks.trail.retentionDays": 0 }, "ongoingWebhooks.trail.retentionDays"],
    [{ "ongoingWebhooks.trail.retentionDays": 2.5 }, "ongoingWebhooks.trail.retentionDays"],
    [{ "ongoingWebhooks.alarmEmail": "ops" }, "ongoingWebhooks.alarmEmail"],
    [{ "ongoingWebhooks.email.default.fromAddress": "nobody" }, "ongoingWebhooks.email.default.fromAddress"],
    [{ "ongoingWebhooks.goodsOwners": { abc: {} } }, "ongoingWebhooks.goodsOwners"],
    [{ "ongoingWebhooks.articleReconcile.rateMinutes": 0 }, "ongoingWebhooks.articleReconcile.rateMinutes"],
    // A unit stops a minute before its time-out: shorter would leave no time for a page.
    [
      { "ongoingWebhooks.articleReconcile.timeoutSeconds": 60 },
      "ongoingWebhooks.articleReconcile.timeoutSeconds",
    ],
    [
      { "ongoingWebhooks.articleReconcile.maxConcurrency": 1 },
      "ongoingWebhooks.articleReconcile.maxConcurrency",
    ],
  ])("rejects %j naming %s", (overrides, key) => {
    expect(errorOf(overrides)).toContain(`${key}`);
  });

  it("names a missing required key", () => {
    const { ongoingWebhooks, ...rest } = cdkContext as { ongoingWebhooks: Record<string, unknown> };
    const { webhookAuth: _dropped, ...withoutAuth } = ongoingWebhooks;
    expect(() => parseConfig({ ...rest, ongoingWebhooks: withoutAuth })).toThrow(
      /ongoingWebhooks\.webhookAuth/,
    );
  });

  it("lets every goods owner name its own Ongoing secret instead of a default", () => {
    const config = parseWith({
      "ongoingWebhooks.ongoing": { baseUrl: "https://api.ongoingsystems.se/W/api/v1/" },
      "ongoingWebhooks.goodsOwners": {
        "159": { credentialsSecretName: "ongoing-webhooks/goods-owners/159" },
      },
    });
    expect(config.ongoing.credentialsSecretName).toBeUndefined();
    expect(config.goodsOwners["159"]?.credentialsSecretName).toBe("ongoing-webhooks/goods-owners/159");
  });

  it("refuses a goods owner's secret outside the secret prefix the functions are granted", () => {
    expect(() =>
      parseWith({ "ongoingWebhooks.goodsOwners": { "159": { credentialsSecretName: "ongoing/159" } } }),
    ).toThrow(
      'ongoingWebhooks.goodsOwners.159.credentialsSecretName: must start with ongoing.goodsOwnerSecretPrefix ("ongoing-webhooks/goods-owners/")',
    );
    expect(
      parseWith({
        "ongoingWebhooks.ongoing.goodsOwnerSecretPrefix": "ongoing/",
        "ongoingWebhooks.goodsOwners": { "159": { credentialsSecretName: "ongoing/159" } },
      }).goodsOwners["159"]?.credentialsSecretName,
    ).toBe("ongoing/159");
    expect(() => parseWith({ "ongoingWebhooks.ongoing.goodsOwnerSecretPrefix": "ongoing" })).toThrow(
      /ongoingWebhooks\.ongoing\.goodsOwnerSecretPrefix: a Secrets Manager name prefix ending in "\/"/,
    );
  });

  it("refuses at synth a From address the SES sender identity does not cover, naming the key", () => {
    expect(
      errorOf({
        "ongoingWebhooks.goodsOwners": { "159": { email: { fromAddress: "orders@shop.example.net" } } },
      }),
    ).toContain(
      'ongoingWebhooks.goodsOwners.159.email.fromAddress: "orders@shop.example.net" is not covered by email.senderIdentity ("example.com")',
    );
    expect(errorOf({ "ongoingWebhooks.email.senderIdentity": "shipping@example.org" })).toContain(
      "ongoingWebhooks.email.default.fromAddress",
    );
    // A domain identity covers its subdomains; an address identity only itself.
    expect(
      parseWith({
        "ongoingWebhooks.goodsOwners": { "159": { email: { fromAddress: "a@Mail.Example.com" } } },
      }).goodsOwners["159"]?.email?.fromAddress,
    ).toBe("a@Mail.Example.com");
    expect(() => parseWith({ "ongoingWebhooks.email.senderIdentity": "shipping@example.com" })).not.toThrow();
    expect(() => parseWith({ "ongoingWebhooks.email.senderIdentity": "ample.com" })).toThrow(ConfigError);
  });

  it("refuses a transport adapter over plain http", () => {
    expect(
      errorOf({ "ongoingWebhooks.transport.adapterUrl": "http://transport.example.com/bookings" }),
    ).toContain("ongoingWebhooks.transport.adapterUrl: an https URL");
  });

  it("books with the HTTP adapter unless nShift is chosen, and then needs the nShift account", () => {
    expect(parseWith({}).transport.adapter).toBe("http");
    expect(() => parseWith({ "ongoingWebhooks.transport.adapter": "nshift" })).toThrow(
      /ongoingWebhooks\.transport\.nshift: required when the nShift adapter is chosen \(transport\.adapter\)/,
    );
    expect(() =>
      parseWith({ "ongoingWebhooks.goodsOwners": { "159": { transportAdapter: "nshift" } } }),
    ).toThrow(/required when the nShift adapter is chosen \(goodsOwners\.159\.transportAdapter\)/);
    const config = parseWith({
      "ongoingWebhooks.goodsOwners": { "159": { transportAdapter: "nshift" } },
      "ongoingWebhooks.transport.nshift": { credentialsSecretName: "nshift/api-key", senderQuickId: "WH1" },
    });
    expect(config.transport.nshift).toEqual({
      baseUrl: "https://api.unifaun.com/rs-extapi/v1",
      credentialsSecretName: "nshift/api-key",
      senderQuickId: "WH1",
      timeoutMs: 15_000,
    });
    expect(() =>
      parseWith({
        "ongoingWebhooks.transport.nshift": {
          baseUrl: "http://api.unifaun.com/rs-extapi/v1",
          credentialsSecretName: "nshift/api-key",
          senderQuickId: "WH1",
        },
      }),
    ).toThrow(/ongoingWebhooks\.transport\.nshift\.baseUrl: an https URL/);
  });

  it("tells no transporter list from an empty one, and needs no default mail branding", () => {
    expect(parseWith({ "ongoingWebhooks.transport": {} }).transport.transporters).toBeUndefined();
    expect(parseWith({ "ongoingWebhooks.transport.transporters": [] }).transport.transporters).toEqual([]);
    const config = parseWith({
      "ongoingWebhooks.email": { senderIdentity: "example.com" },
      "ongoingWebhooks.goodsOwners": { "160": { email: { fromAddress: "mail@example.com" } } },
    });
    expect(config.email.default).toBeUndefined();
  });

  it.each([
    [{ "ongoingWebhooks.ongoing.transportApi": "automation" }, "ongoing.transportApi"],
    [
      { "ongoingWebhooks.goodsOwners": { "160": { transportApi: "automation" } } },
      "goodsOwners.160.transportApi",
    ],
    // Printing is an Automation API call, whichever API writes the rest back.
    [
      { "ongoingWebhooks.goodsOwners": { "161": { printing: { reportId: 47 } } } },
      "goodsOwners.161.printing",
    ],
  ])("needs the Automation API login when %j chooses that API", (overrides, chooser) => {
    const message = errorOf(overrides);
    expect(message).toContain("ongoingWebhooks.ongoing.automationCredentialsSecretName");
    expect(message).toContain(chooser);
    expect(
      parseWith({
        ...overrides,
        "ongoingWebhooks.ongoing.automationCredentialsSecretName": "ongoing/automation",
      }).ongoing.automationCredentialsSecretName,
    ).toBe("ongoing/automation");
  });

  it("turns the authorizer cache off for Basic auth, and refuses both at once", () => {
    expect(
      parseWith({ "ongoingWebhooks.webhookAuth.allowBasicAuth": true }).webhookAuth.cacheTtlSeconds,
    ).toBe(0);
    const message = errorOf({
      "ongoingWebhooks.webhookAuth.allowBasicAuth": true,
      "ongoingWebhooks.webhookAuth.cacheTtlSeconds": 60,
    });
    expect(message).toContain("ongoingWebhooks.webhookAuth.cacheTtlSeconds");
    expect(message).toContain("allowBasicAuth");
  });

  it("paces mail to SES's usual starting rate, and refuses a rate at which a full batch cannot finish", () => {
    expect(parseWith({}).email.maxSendRate).toBe(14);
    expect(parseWith({ "ongoingWebhooks.email.maxSendRate": 1 }).email.maxSendRate).toBe(1);
    const message = errorOf({
      "ongoingWebhooks.email.maxSendRate": 0.5,
      "ongoingWebhooks.useCases.order-shipped-email.timeoutSeconds": 30,
    });
    expect(message).toContain("ongoingWebhooks.email.maxSendRate");
    expect(message).toContain("raise maxSendRate or timeoutSeconds");
  });
});

describe("retry budget against the queue's retention", () => {
  it("refuses retries whose worst-case backoff outlasts the 14 days a queue keeps a message, naming the key", () => {
    // 10 s doubling reaches SQS's 12-hour cap at the 14th receive; 41 receives add up to just over 14 days.
    const message = errorOf({ "ongoingWebhooks.useCases.transport-booking.maxReceiveCount": 41 });
    expect(message).toContain("ongoingWebhooks.useCases.transport-booking.maxReceiveCount");
    expect(message).toContain("14 days");
    expect(() =>
      parseWith({ "ongoingWebhooks.useCases.transport-booking.maxReceiveCount": 20 }),
    ).not.toThrow();
    expect(
      errorOf({
        "ongoingWebhooks.useCases.article-sync.retryBaseDelaySeconds": 43_200,
        "ongoingWebhooks.useCases.article-sync.maxReceiveCount": 30,
      }),
    ).toContain("ongoingWebhooks.useCases.article-sync.maxReceiveCount");
  });

  it("computes the worst case as the unjittered backoff, capped at 12 hours per retry", async () => {
    const { worstCaseBackoffSeconds } = await import("./config/checks.ts");
    expect(worstCaseBackoffSeconds(10, 1)).toBe(0);
    expect(worstCaseBackoffSeconds(10, 4)).toBe(10 + 20 + 40);
    expect(worstCaseBackoffSeconds(10, 20)).toBeLessThan(14 * 86_400);
  });
});

describe("breaker", () => {
  it("is on by default: 5 records in a row, a probe every minute, 3 trial records", () => {
    expect(parseWith({}).breaker).toEqual({
      enabled: true,
      failureThreshold: 5,
      probeIntervalMinutes: 1,
      trialRecords: 3,
    });
  });
});
