import { beforeEach, describe, expect, it } from "vitest";
import { useLocalAws, useOngoingSimulator } from "../../../test/support/env.ts";
import { createAutomationClient } from "./automation.ts";
import { createOngoingClient } from "./client.ts";
import { credentialsFromSecret } from "./credentials.ts";
import { clearTokenCache } from "./oauth.ts";

const simulator = useOngoingSimulator({ resetEach: true });
const oauthLogin = (clientId: string, clientSecret = `${clientId}-secret`) =>
  JSON.stringify({ clientId, clientSecret });
const aws = useLocalAws({
  secrets: {
    "oauth/demo": oauthLogin("demo-client"),
    "oauth/automation": oauthLogin("automation-client"),
    "oauth/bad": oauthLogin("demo-client", "not-the-secret"),
    "oauth/both": JSON.stringify({
      username: "demo",
      password: "demo-password",
      clientId: "c",
      clientSecret: "s",
    }),
    "basic/with-note": JSON.stringify({
      username: "demo",
      password: "demo-password",
      note: "rotated 2026-11",
    }),
  },
});

beforeEach(() => clearTokenCache());

const calls = (operation: string) => simulator.state.calls.get(operation) ?? 0;
const admin = (path: string, method = "POST", body?: unknown) =>
  fetch(`${simulator.adminUrl}${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

function restClient(secretName = "oauth/demo", maxAttempts = 4) {
  return createOngoingClient({
    baseUrl: simulator.baseUrl,
    goodsOwnerId: 159,
    credentials: credentialsFromSecret(secretName, { tokenUrl: simulator.tokenUrl }),
    timeoutMs: 2_000,
    maxAttempts,
  });
}

describe("Ongoing OAuth 2.0 client credentials: REST", () => {
  it("gets one token and reuses it for every call and client of the container, as a bearer token", async () => {
    await restClient().getOrder(50163);
    await restClient().getArticle(20_001);
    await restClient().findOrderByNumber("O1231234");
    expect(calls("token")).toBe(1);
    const apiCalls = simulator.state.requests.filter((request) => request.operation !== "token");
    expect(apiCalls.map((request) => request.headers.Authorization)).toEqual([
      "Bearer ***",
      "Bearer ***",
      "Bearer ***",
    ]);
    const tokenRequest = simulator.state.requests.find((request) => request.operation === "token");
    expect(tokenRequest?.headers).toMatchObject({
      Authorization: "Basic ***",
      "Content-Type": "application/x-www-form-urlencoded",
    });
  });

  it("shares one token request among concurrent callers", async () => {
    simulator.state.latencyMs = 50;
    const client = restClient();
    const orders = await Promise.all(Array.from({ length: 8 }, () => client.getOrder(50163)));
    expect(orders).toHaveLength(8);
    expect(calls("token")).toBe(1);
  });

  it("gets a new token once on a 401 (expired or revoked on Ongoing's side), shared by the refused calls", async () => {
    const client = restClient();
    await client.getOrder(50163);
    expect((await admin("oauth/expire-tokens")).status).toBe(204);
    await Promise.all(Array.from({ length: 5 }, () => client.getOrder(50163)));
    expect(calls("token")).toBe(2);
    expect(calls("getOrder")).toBe(1 + 5 * 2);
  });

  it("fails permanently when a fresh token is refused too (one refresh per call, not a loop)", async () => {
    const client = restClient();
    simulator.state.addFault({ status: 401, times: 2, path: "/orders/50163" });
    await expect(client.getOrder(50163)).rejects.toMatchObject({
      name: "PermanentError",
      code: "ongoing-unauthorized",
    });
    expect(calls("token")).toBe(2);
  });

  it("renews a token shortly before it expires", async () => {
    await admin("oauth", "PUT", { tokenLifetimeSeconds: 2 });
    const client = restClient();
    await client.getOrder(50163);
    await client.getOrder(50163);
    expect(calls("token")).toBe(1);
    // Renewed at half a short lifetime (a minute before expiry for longer ones), before Ongoing refuses it.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await client.getOrder(50163);
    expect(calls("token")).toBe(2);
    expect(calls("getOrder")).toBe(3);
  });

  it("fails permanently on a bad client secret, naming the secret and Ongoing's reason, never the value", async () => {
    const error = await restClient("oauth/bad")
      .getOrder(50163)
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: "PermanentError", code: "ongoing-token-refused" });
    expect((error as Error).message).toContain('secret "oauth/bad"');
    expect((error as Error).message).toContain("invalid_client");
    expect((error as Error).message).not.toContain("not-the-secret");
    // The secret is read again once (it may just have been re-issued), then no more requests.
    expect(calls("token")).toBe(2);
    expect(calls("getOrder")).toBe(0);
  });

  it("picks up a re-issued secret from Secrets Manager after Ongoing revoked the old one", async () => {
    aws.secrets.put("oauth/rotating", oauthLogin("demo-client"));
    const client = restClient("oauth/rotating");
    await client.getOrder(50163);
    const reissued = await admin("oauth-clients/demo-client", "PUT", { clientSecret: "re-issued" });
    expect(reissued.status).toBe(200);
    aws.secrets.put("oauth/rotating", oauthLogin("demo-client", "re-issued"));
    expect((await client.getOrder(50163)).orderInfo.orderId).toBe(50163);
    expect(calls("token")).toBe(2);
  });

  it("picks the scheme by the secret's shape: other keys are ignored, both shapes at once is refused", async () => {
    expect((await restClient("basic/with-note").getOrder(50163)).orderInfo.orderId).toBe(50163);
    expect(calls("token")).toBe(0);
    await expect(restClient("oauth/both").getOrder(50163)).rejects.toMatchObject({
      name: "PermanentError",
      code: "ongoing-credentials-invalid",
      message: expect.stringContaining("both"),
    });
  });

  it("treats a login service that is down as transient", async () => {
    simulator.state.addFault({ status: 503, path: "/connect/token", times: 5 });
    await expect(restClient("oauth/demo", 2).getOrder(50163)).rejects.toMatchObject({
      name: "TransientError",
      code: "ongoing-token-unavailable",
    });
    expect(calls("getOrder")).toBe(0);
  });
});

describe("Ongoing OAuth 2.0 client credentials: Automation API", () => {
  const automationClient = (secretName: string) =>
    createAutomationClient({
      url: simulator.automationUrl,
      credentials: credentialsFromSecret(secretName, { tokenUrl: simulator.tokenUrl }),
      timeoutMs: 2_000,
    });

  it("sends the token in the header, not a login in the body, and renews it once on a 401", async () => {
    const client = automationClient("oauth/automation");
    expect((await client.getOrder(160, 70_001)).goodsOwner.id).toBe(160);
    const request = simulator.state.requests.find((entry) => entry.operation === "GetOrdersByQuery");
    expect(request?.headers.Authorization).toBe("Bearer ***");
    await admin("oauth/expire-tokens");
    await client.setWaybill(159, 60_001, "WB-OAUTH");
    expect(calls("token")).toBe(2);
    expect(simulator.state.writes.at(-1)).toMatchObject({ goodsOwnerId: 159, status: 200 });
  });

  it("fails permanently when the client has no Automation access", async () => {
    // The goods-owner REST client's token is refused by the Automation API, before and after a refresh.
    await expect(automationClient("oauth/demo").getOrder(159, 50163)).rejects.toMatchObject({
      name: "PermanentError",
      code: "ongoing-unauthorized",
    });
    expect(calls("token")).toBe(2);
  });
});
