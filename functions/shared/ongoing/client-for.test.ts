import { describe, expect, it } from "vitest";
import { loginSecret, useLocalAws, useOngoingSimulator } from "../../../test/support/env.ts";

const simulator = useOngoingSimulator();
useLocalAws({
  secrets: {
    "ongoing/default": loginSecret("demo"),
    // Goods owner 160 logs in by OAuth 2.0 client credentials, 159 (the default) by Basic.
    "ongoing/160": JSON.stringify({ clientId: "other-client", clientSecret: "other-client-secret" }),
    "ongoing/bad": JSON.stringify({ user: "x" }),
  },
  env: () => ({
    ONGOING_BASE_URL: simulator.baseUrl,
    ONGOING_CREDENTIALS_SECRET: "ongoing/default",
    ONGOING_TOKEN_URL: simulator.tokenUrl,
    ONGOING_MAX_ATTEMPTS: "2",
    GOODS_OWNERS: JSON.stringify({
      "160": { credentialsSecretName: "ongoing/160" },
      "161": { credentialsSecretName: "ongoing/bad" },
    }),
  }),
});

describe("ongoingClientFor", () => {
  it("uses the default secret for a goods owner without its own", async () => {
    const { ongoingClientFor } = await import("./client.ts");
    const client = ongoingClientFor(159);
    expect((await client.getOrder(50163)).goodsOwner.id).toBe(159);
    expect(ongoingClientFor(159)).toBe(client);
  });

  it("uses the goods owner's own secret from GOODS_OWNERS, an OAuth client from ONGOING_TOKEN_URL", async () => {
    const { ongoingClientFor } = await import("./client.ts");
    const client = ongoingClientFor(160, { remainingTimeMs: () => 30_000 });
    expect((await client.getOrder(70_001)).goodsOwner.id).toBe(160);
    const seen = [];
    for await (const page of client.pageArticles({ pageSize: 2 })) seen.push(...page);
    expect(seen.every((article) => article.goodsOwner?.id === 160)).toBe(true);
    expect(seen).toHaveLength(5);
    expect(simulator.state.calls.get("token")).toBe(1);
  });

  it("fails permanently on a secret without username and password, naming no value", async () => {
    const { ongoingClientFor } = await import("./client.ts");
    await expect(ongoingClientFor(161).getOrder(1)).rejects.toMatchObject({
      name: "PermanentError",
      code: "ongoing-credentials-invalid",
    });
  });
});
