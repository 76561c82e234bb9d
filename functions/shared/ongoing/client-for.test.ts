import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type OngoingSimulator, startOngoingSimulator } from "../../../simulators/ongoing/server.ts";
import {
  type SecretsManagerStandIn,
  startSecretsManager,
} from "../../../simulators/secrets-manager/server.ts";

let secrets: SecretsManagerStandIn;
let simulator: OngoingSimulator;

beforeAll(async () => {
  simulator = await startOngoingSimulator();
  secrets = await startSecretsManager({
    "ongoing/default": JSON.stringify({ username: "demo", password: "demo-password" }),
    "ongoing/160": JSON.stringify({ username: "other", password: "other-password" }),
    "ongoing/bad": JSON.stringify({ user: "x" }),
  });
  vi.stubEnv("AWS_ENDPOINT_URL_SECRETS_MANAGER", secrets.endpoint);
  vi.stubEnv("AWS_ACCESS_KEY_ID", "local");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "local");
  vi.stubEnv("ONGOING_BASE_URL", simulator.baseUrl);
  vi.stubEnv("ONGOING_CREDENTIALS_SECRET", "ongoing/default");
  vi.stubEnv("ONGOING_MAX_ATTEMPTS", "2");
  vi.stubEnv(
    "GOODS_OWNERS",
    JSON.stringify({
      "160": { credentialsSecretName: "ongoing/160" },
      "161": { credentialsSecretName: "ongoing/bad" },
    }),
  );
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await secrets.stop();
  await simulator.stop();
});

describe("ongoingClientFor", () => {
  it("uses the default secret for a goods owner without its own", async () => {
    const { ongoingClientFor } = await import("./client.ts");
    const client = ongoingClientFor(159);
    expect((await client.getOrder(50163)).goodsOwner.id).toBe(159);
    expect(ongoingClientFor(159)).toBe(client);
  });

  it("uses the goods owner's own secret from GOODS_OWNERS", async () => {
    const { ongoingClientFor } = await import("./client.ts");
    const client = ongoingClientFor(160, { remainingTimeMs: () => 30_000 });
    expect((await client.getOrder(70_001)).goodsOwner.id).toBe(160);
    const seen = [];
    for await (const page of client.pageArticles({ pageSize: 2 })) seen.push(...page);
    expect(seen.every((article) => article.goodsOwner?.id === 160)).toBe(true);
    expect(seen).toHaveLength(5);
  });

  it("fails permanently on a secret without username and password, naming no value", async () => {
    const { ongoingClientFor } = await import("./client.ts");
    await expect(ongoingClientFor(161).getOrder(1)).rejects.toMatchObject({
      name: "PermanentError",
      code: "ongoing-credentials-invalid",
    });
  });
});
