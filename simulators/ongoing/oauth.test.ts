import { describe, expect, it } from "vitest";
import { useOngoingSimulator } from "../../test/support/env.ts";

const simulator = useOngoingSimulator({ resetEach: true });

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

async function token(
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(simulator.tokenUrl, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(form).toString(),
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    headers: response.headers,
  };
}

const getOrder = (authorization: string) =>
  fetch(`${simulator.baseUrl}orders/50163`, { headers: { authorization } });

const admin = (path: string, method: string, body?: unknown) =>
  fetch(`${simulator.adminUrl}${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

describe("Ongoing simulator: OAuth 2.0 login service", () => {
  it("issues expiring bearer tokens to a client by Basic header or form, which the REST API accepts", async () => {
    const byHeader = await token(
      { grant_type: "client_credentials" },
      { authorization: basic("demo-client", "demo-client-secret") },
    );
    expect(byHeader).toMatchObject({ status: 200, body: { token_type: "Bearer", expires_in: 3600 } });
    expect(byHeader.headers.get("cache-control")).toBe("no-store");
    const byForm = await token({
      grant_type: "client_credentials",
      client_id: "demo-client",
      client_secret: "demo-client-secret",
    });
    expect(byForm.status).toBe(200);
    expect((await getOrder(`Bearer ${byHeader.body.access_token}`)).status).toBe(200);
    expect((await getOrder(`Bearer ${byForm.body.access_token}`)).status).toBe(200);
    expect(simulator.state.oauth.summary()).toMatchObject({ tokensIssued: 2, activeTokens: 2 });
  });

  it("refuses a bad client, a bad grant, and an expired or unknown token", async () => {
    const wrong = await token(
      { grant_type: "client_credentials" },
      { authorization: basic("demo-client", "x") },
    );
    expect(wrong).toMatchObject({ status: 401, body: { error: "invalid_client" } });
    const wrongForm = await token({
      grant_type: "client_credentials",
      client_id: "nobody",
      client_secret: "x",
    });
    expect(wrongForm).toMatchObject({ status: 400, body: { error: "invalid_client" } });
    const grant = await token({ grant_type: "password" });
    expect(grant).toMatchObject({ status: 400, body: { error: "unsupported_grant_type" } });

    const issued = await token({
      grant_type: "client_credentials",
      client_id: "demo-client",
      client_secret: "demo-client-secret",
    });
    expect((await admin("oauth/expire-tokens", "POST")).status).toBe(204);
    const expired = await getOrder(`Bearer ${issued.body.access_token}`);
    expect(expired.status).toBe(401);
    expect(expired.headers.get("www-authenticate")).toContain("invalid_token");
    expect((await getOrder("Bearer made-up")).status).toBe(401);
  });

  it("revokes the old secret and its tokens when a secret is re-issued; reset restores the clients", async () => {
    const form = {
      grant_type: "client_credentials",
      client_id: "demo-client",
      client_secret: "demo-client-secret",
    };
    const before = await token(form);
    const reissued = await admin("oauth-clients/demo-client", "PUT", {});
    const { clientSecret } = (await reissued.json()) as { clientSecret: string };
    expect(clientSecret).not.toBe("demo-client-secret");
    expect((await getOrder(`Bearer ${before.body.access_token}`)).status).toBe(401);
    expect((await token(form)).status).toBe(400);
    expect((await token({ ...form, client_secret: clientSecret })).status).toBe(200);
    expect((await admin("oauth-clients/nobody", "PUT", {})).status).toBe(404);

    simulator.state.reset();
    expect((await token(form)).status).toBe(200);
  });

  it("sets the lifetime of new tokens", async () => {
    expect((await admin("oauth", "PUT", { tokenLifetimeSeconds: 0 })).status).toBe(400);
    expect((await admin("oauth", "PUT", { tokenLifetimeSeconds: 5 })).status).toBe(200);
    const issued = await token({
      grant_type: "client_credentials",
      client_id: "other-client",
      client_secret: "other-client-secret",
    });
    expect(issued.body.expires_in).toBe(5);
    expect(await (await admin("oauth", "GET")).json()).toMatchObject({ tokenLifetimeSeconds: 5 });
  });
});
