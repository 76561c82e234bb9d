import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type SecretsManagerStandIn, startSecretsManager } from "../../simulators/secrets-manager/server.ts";

let secrets: SecretsManagerStandIn;

beforeAll(async () => {
  secrets = await startSecretsManager({ plain: "s3cret", json: '{"username":"u","password":"p"}', bad: "{" });
  vi.stubEnv("AWS_ENDPOINT_URL_SECRETS_MANAGER", secrets.endpoint);
  vi.stubEnv("AWS_ACCESS_KEY_ID", "local");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "local");
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await secrets.stop();
});

describe("secrets", () => {
  it("reads string and JSON secrets over the wire, and classifies failures", async () => {
    const { getSecretJson, getSecretString } = await import("./secrets.ts");
    expect(await getSecretString("plain")).toBe("s3cret");
    expect(await getSecretJson("json")).toEqual({ username: "u", password: "p" });
    await expect(getSecretJson("bad")).rejects.toMatchObject({
      name: "PermanentError",
      code: "secret-not-json",
    });
    await expect(getSecretString("missing")).rejects.toMatchObject({
      name: "PermanentError",
      code: "secret-unavailable",
    });
  });

  it("caches a secret until forced to re-read it (rotation)", async () => {
    const { getSecretString } = await import("./secrets.ts");
    secrets.put("rotating", "one");
    expect(await getSecretString("rotating")).toBe("one");
    secrets.put("rotating", "two");
    expect(await getSecretString("rotating")).toBe("one");
    expect(await getSecretString("rotating", { forceFetch: true })).toBe("two");
  });
});
