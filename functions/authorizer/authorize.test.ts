import * as crypto from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import { authorizerEvent as event } from "../../test/support/authorizer-event.ts";
import { useLocalAws } from "../../test/support/env.ts";

vi.mock("node:crypto", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:crypto")>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`, "utf8").toString("base64")}`;

useLocalAws({
  secrets: {
    "webhook-token": "t0ken-current",
    "webhook-token-rotating": JSON.stringify({ current: "new-token", previous: "old-token" }),
  },
  env: {
    WEBHOOK_TOKEN_SECRET: "webhook-token",
    WEBHOOK_TOKEN_HEADER: "X-Auth-Token",
    WEBHOOK_ALLOW_BASIC_AUTH: "false",
  },
});

const effectOf = (result: { policyDocument: { Statement: unknown[] } }) =>
  (result.policyDocument.Statement[0] as { Effect: string }).Effect;

describe("authorizer handler (token secret read from the Secrets Manager stand-in)", () => {
  it("allows the right token, with a policy that covers every POST route (API Gateway caches it per token)", async () => {
    const { handler } = await import("./index.ts");
    const result = await handler(event({ "x-auth-token": "t0ken-current" }));
    expect(effectOf(result)).toBe("Allow");
    expect(result.policyDocument.Statement[0]).toMatchObject({
      Resource: "arn:aws:execute-api:eu-west-1:123456789012:abc123/v1/POST/*",
    });
  });

  it("denies a wrong or a missing token (403, saying which) without throwing: no function error, no fault alarm", async () => {
    const { handler } = await import("./index.ts");
    for (const [headers, denial] of [
      [{ "X-Auth-Token": "t0ken-curren" }, "invalid-token"],
      [{ "X-Auth-Token": "t0ken-current-and-more" }, "invalid-token"],
      [{}, "missing-token"],
      [{ "X-Auth-Token": "" }, "missing-token"],
    ] as const) {
      const result = await handler(event(headers));
      expect(effectOf(result)).toBe("Deny");
      expect(result.context).toEqual({ denial });
    }
  });

  it("ignores Basic auth when it is not allowed", async () => {
    const { handler } = await import("./index.ts");
    const result = await handler(event({ Authorization: basic("ongoing", "t0ken-current") }));
    expect(result.context).toEqual({ denial: "missing-token" });
  });
});

describe("authorize", () => {
  it("accepts both the current and the previous token during a rotation, nothing else", async () => {
    const { getSecretString } = await import("../shared/secrets.ts");
    const { authorize } = await import("./authorize.ts");
    const options = {
      headerName: "X-Auth-Token",
      allowBasicAuth: false,
      readTokenSecret: () => getSecretString("webhook-token-rotating"),
    };
    for (const [token, effect] of [
      ["new-token", "Allow"],
      ["old-token", "Allow"],
      ["older-token", "Deny"],
    ] as const) {
      expect(effectOf(await authorize(event({ "X-Auth-Token": token }), options))).toBe(effect);
    }
  });

  it("accepts Basic auth whose password is the token when allowed, with any user name", async () => {
    const { authorize } = await import("./authorize.ts");
    const options = {
      headerName: "X-Webhook-Key",
      allowBasicAuth: true,
      readTokenSecret: async () => "p:ss",
    };
    expect(effectOf(await authorize(event({ authorization: basic("ongoing", "p:ss") }), options))).toBe(
      "Allow",
    );
    expect(effectOf(await authorize(event({ Authorization: basic("", "wrong") }), options))).toBe("Deny");
    expect(effectOf(await authorize(event({ "x-webhook-key": "p:ss" }), options))).toBe("Allow");
    for (const authorization of [basic("ongoing", ""), "Bearer p:ss"]) {
      const result = await authorize(event({ Authorization: authorization }), options);
      expect(result.context).toEqual({ denial: "missing-token" });
    }
  });

  it("fails (API Gateway answers 500, Ongoing retries) when the secret cannot be read", async () => {
    const { getSecretString } = await import("../shared/secrets.ts");
    const { authorize } = await import("./authorize.ts");
    const options = {
      headerName: "X-Auth-Token",
      allowBasicAuth: false,
      readTokenSecret: () => getSecretString("no-such-secret"),
    };
    await expect(authorize(event({ "X-Auth-Token": "x" }), options)).rejects.toMatchObject({
      name: "PermanentError",
    });
  });
});

describe("token comparison", () => {
  it("compares equal-length SHA-256 digests with crypto.timingSafeEqual, whatever the tokens' lengths", async () => {
    const { tokenMatches } = await import("./authorize.ts");
    const spy = vi.mocked(crypto.timingSafeEqual);
    spy.mockClear();
    expect(tokenMatches("short", { current: "a-much-longer-token-than-the-presented-one" })).toBe(false);
    expect(tokenMatches("same", { current: "other", previous: "same" })).toBe(true);
    expect(spy).toHaveBeenCalledTimes(4);
    for (const [a, b] of spy.mock.calls) {
      expect((a as Buffer).length).toBe(32);
      expect((b as Buffer).length).toBe(32);
    }
  });

  it("reads the secret as a plain string or as JSON {current, previous}", async () => {
    const { parseTokenSecret } = await import("./authorize.ts");
    expect(parseTokenSecret("  abc \n")).toEqual({ current: "abc" });
    expect(parseTokenSecret('{"current":"a","previous":"b"}')).toEqual({ current: "a", previous: "b" });
    expect(parseTokenSecret('{"current":"a","previous":""}')).toEqual({ current: "a" });
    expect(() => parseTokenSecret('{"previous":"b"}')).toThrow(/current/);
    expect(() => parseTokenSecret("{oops")).toThrow(/not JSON/);
  });
});
