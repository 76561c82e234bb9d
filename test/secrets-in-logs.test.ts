/**
 * Secrets never reach a log line: the webhook authorizer (right, wrong and missing tokens, header and Basic
 * auth) and the Ongoing REST client (a 401, the re-read of a rotated secret, a login that stays wrong; an OAuth
 * client's secret and its bearer tokens, refreshed and refused) run
 * against the Secrets Manager stand-in and the Ongoing simulator with the shared Powertools logger at DEBUG,
 * and every byte written to stdout, stderr or the console is searched for the secret values.
 */
import { format } from "node:util";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { authorizerEvent } from "./support/authorizer-event.ts";
import { useLocalAws, useOngoingSimulator } from "./support/env.ts";

// Distinctive values, so a hit can only be a leak (never a coincidence with other log text).
const webhookToken = "whk-TOKEN-4f1c9e7a2b";
const nearMissToken = "whk-TOKEN-4f1c9e7a2c";
const ongoingUser = "svc-webhooks";
const ongoingPassword = "ong-PASS-8d2e61b0c3";
const stalePassword = "ong-STALE-5a7f03d9e1";
const oauthClientSecret = "oac-SECRET-0b9d4e2f71";
const wrongClientSecret = "oac-WRONG-6c1a8f3e50";
const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
const basic = (user: string, password: string) => `Basic ${b64(`${user}:${password}`)}`;

/** Each secret as it could appear: plain, as a Basic header value, or inside one (base64 of user:password). */
const forbidden = [
  webhookToken,
  nearMissToken,
  ongoingPassword,
  stalePassword,
  b64(`${ongoingUser}:${ongoingPassword}`),
  b64(`${ongoingUser}:${stalePassword}`),
  b64(`ongoing:${webhookToken}`),
  b64(webhookToken),
  b64(ongoingPassword),
  oauthClientSecret,
  wrongClientSecret,
  b64(`svc-client:${oauthClientSecret}`),
  b64(`svc-client:${wrongClientSecret}`),
];

const simulator = useOngoingSimulator({
  resetEach: true,
  users: [{ username: ongoingUser, password: ongoingPassword, goodsOwnerId: 159 }],
  oauthClients: [{ clientId: "svc-client", clientSecret: oauthClientSecret, username: ongoingUser }],
});
const aws = useLocalAws({
  secrets: {
    "webhook-token": webhookToken,
    "ongoing/credentials": JSON.stringify({ username: ongoingUser, password: ongoingPassword }),
    "ongoing/oauth": JSON.stringify({ clientId: "svc-client", clientSecret: oauthClientSecret }),
    "ongoing/oauth-wrong": JSON.stringify({ clientId: "svc-client", clientSecret: wrongClientSecret }),
  },
  env: {
    WEBHOOK_TOKEN_SECRET: "webhook-token",
    WEBHOOK_TOKEN_HEADER: "X-Auth-Token",
    WEBHOOK_ALLOW_BASIC_AUTH: "false",
    // The test config silences the logger; DEBUG is the most it would ever write. Read when the logger module
    // is first imported, which the tests do only after this is set.
    POWERTOOLS_LOG_LEVEL: "DEBUG",
    POWERTOOLS_DEV: "false",
  },
});

/** Everything written to stdout, stderr or the console while capturing. */
const output: string[] = [];
const text = (chunk: unknown) =>
  typeof chunk === "string" ? chunk : Buffer.isBuffer(chunk) ? chunk.toString("utf8") : String(chunk);

beforeEach(() => {
  output.length = 0;
  // Powertools' Console holds the stream objects and calls their write(), so replacing write() sees its lines;
  // the console methods are covered too, for the dev mode that logs through the global console.
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, "write").mockImplementation((chunk: unknown, ...rest: unknown[]) => {
      output.push(text(chunk));
      const callback = rest.find((arg) => typeof arg === "function") as (() => void) | undefined;
      callback?.();
      return true;
    });
  }
  for (const method of ["log", "info", "warn", "error", "debug", "trace"] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      output.push(format(...args));
    });
  }
});
afterEach(() => {
  vi.restoreAllMocks();
});

function expectNoSecrets(): void {
  const all = output.join("\n");
  for (const secret of forbidden) {
    expect(all.includes(secret), `a log line contains ${JSON.stringify(secret.slice(0, 8))}…`).toBe(false);
  }
}

/** The JSON log lines captured (Powertools writes one JSON object per line). */
function logLines(): Array<Record<string, unknown>> {
  return output
    .flatMap((chunk) => chunk.split("\n"))
    .filter((line) => line.startsWith("{") && !line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const effectOf = (result: { policyDocument: { Statement: unknown[] } }) =>
  (result.policyDocument.Statement[0] as { Effect: string }).Effect;

describe("the authorizer logs no token", () => {
  afterAll(() => {
    vi.resetModules();
  });

  it("with the token header: right, wrong, near-miss and missing", async () => {
    const { handler } = await import("../functions/authorizer/index.ts");
    expect(effectOf(await handler(authorizerEvent({ "X-Auth-Token": webhookToken })))).toBe("Allow");
    expect(effectOf(await handler(authorizerEvent({ "X-Auth-Token": nearMissToken })))).toBe("Deny");
    expect(effectOf(await handler(authorizerEvent({ "x-auth-token": `${webhookToken}x` })))).toBe("Deny");
    expect(effectOf(await handler(authorizerEvent({})))).toBe("Deny");
    // Basic auth is not allowed here, so a Basic header carrying the token is a missing token.
    expect(effectOf(await handler(authorizerEvent({ Authorization: basic("ongoing", webhookToken) })))).toBe(
      "Deny",
    );

    // The capture works: the rejections were logged, with what helps and nothing more.
    const messages = logLines().map((line) => line.message);
    expect(messages.filter((message) => message === "webhook token rejected")).toHaveLength(2);
    expect(messages.filter((message) => message === "webhook without token")).toHaveLength(2);
    expectNoSecrets();
  });

  it("with Basic auth allowed: right and wrong passwords", async () => {
    // Settings are read when the handler module loads: load it afresh with Basic auth allowed.
    vi.resetModules();
    vi.stubEnv("WEBHOOK_ALLOW_BASIC_AUTH", "true");
    const { handler } = await import("../functions/authorizer/index.ts");
    expect(effectOf(await handler(authorizerEvent({ Authorization: basic("ongoing", webhookToken) })))).toBe(
      "Allow",
    );
    expect(effectOf(await handler(authorizerEvent({ Authorization: basic("ongoing", nearMissToken) })))).toBe(
      "Deny",
    );
    expect(logLines().map((line) => line.message)).toContain("webhook token rejected");
    expectNoSecrets();
  });
});

describe("the Ongoing REST client logs no password", () => {
  async function client() {
    const { createOngoingClient } = await import("../functions/shared/ongoing/client.ts");
    const { credentialsFromSecret } = await import("../functions/shared/ongoing/credentials.ts");
    return createOngoingClient({
      baseUrl: simulator.baseUrl,
      goodsOwnerId: 159,
      credentials: credentialsFromSecret("ongoing/credentials"),
      timeoutMs: 2_000,
    });
  }

  it("on success and on a 401 answered by re-reading the rotated secret", async () => {
    // The cached secret is stale: the first call is answered 401, the re-read finds the new password.
    aws.secrets.put(
      "ongoing/credentials",
      JSON.stringify({ username: ongoingUser, password: stalePassword }),
    );
    const ongoing = await client();
    const { getSecretJson } = await import("../functions/shared/secrets.ts");
    await getSecretJson("ongoing/credentials");
    aws.secrets.put(
      "ongoing/credentials",
      JSON.stringify({ username: ongoingUser, password: ongoingPassword }),
    );

    expect((await ongoing.getOrder(50163)).orderInfo.orderId).toBe(50163);
    await ongoing.patchWaybill(60_001, "WB-LOG-1");

    const calls = logLines().filter((line) => line.message === "Ongoing API call");
    expect(calls.map((line) => [line.operation, line.status])).toEqual([
      ["getOrder", 401],
      ["getOrder", 200],
      ["patchWaybill", 200],
    ]);
    // Both passwords went over the wire (the simulator refused one, accepted the other), so both were in play.
    expect(simulator.state.requests).toHaveLength(3);
    expectNoSecrets();
  });

  it("when the login stays wrong, including the error as the pipeline would log it", async () => {
    aws.secrets.put(
      "ongoing/credentials",
      JSON.stringify({ username: ongoingUser, password: stalePassword }),
    );
    // Replace what the previous test cached, so the first read and the re-read both get the wrong password.
    const { getSecretJson } = await import("../functions/shared/secrets.ts");
    await getSecretJson("ongoing/credentials", { forceFetch: true });
    const ongoing = await client();
    const error = await ongoing.getOrder(50163).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "PermanentError", code: "ongoing-unauthorized" });

    const { logger } = await import("../functions/shared/powertools/logger.ts");
    logger.error("dead-lettered", { reason: (error as Error).message, error });
    const lines = logLines();
    expect(lines.filter((line) => line.message === "Ongoing API call")).toHaveLength(2);
    expect(lines.some((line) => line.message === "dead-lettered")).toBe(true);
    expectNoSecrets();
  });
});

describe("the Ongoing OAuth login logs no client secret and no token", () => {
  it("on a token, its refresh after a 401, and a client the login service refuses", async () => {
    const { createOngoingClient } = await import("../functions/shared/ongoing/client.ts");
    const { credentialsFromSecret } = await import("../functions/shared/ongoing/credentials.ts");
    const client = (secretName: string) =>
      createOngoingClient({
        baseUrl: simulator.baseUrl,
        goodsOwnerId: 159,
        credentials: credentialsFromSecret(secretName, { tokenUrl: simulator.tokenUrl }),
        timeoutMs: 2_000,
      });
    expect((await client("ongoing/oauth").getOrder(50163)).orderInfo.orderId).toBe(50163);
    simulator.state.oauth.expireTokens();
    expect((await client("ongoing/oauth").getOrder(50163)).orderInfo.orderId).toBe(50163);
    const error = await client("ongoing/oauth-wrong")
      .getOrder(50163)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "PermanentError", code: "ongoing-token-refused" });
    const { logger } = await import("../functions/shared/powertools/logger.ts");
    logger.error("dead-lettered", { reason: (error as Error).message, error });

    const lines = logLines().filter((line) => line.message === "Ongoing API call");
    expect(lines.map((line) => [line.operation, line.status])).toEqual([
      ["token", 200],
      ["getOrder", 200],
      ["getOrder", 401],
      ["token", 200],
      ["getOrder", 200],
      ["token", 401],
      ["token", 401],
    ]);
    const tokens = [...simulator.state.oauth.tokens.keys()];
    expect(tokens).toHaveLength(2);
    const all = output.join("\n");
    for (const token of tokens) expect(all.includes(token), "a log line contains a bearer token").toBe(false);
    expectNoSecrets();
  });
});
