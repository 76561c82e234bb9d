import { describe, expect, it } from "vitest";
import { localDefaults, type PortName, portVariables } from "./settings.ts";

describe("local settings", () => {
  it("defaults to the documented ports, token, goods owner and the Ongoing simulator", () => {
    expect(localDefaults({})).toEqual({
      host: "127.0.0.1",
      ports: {
        ingress: 3000,
        ongoing: 3001,
        transport: 3002,
        nshift: 3004,
        secretsManager: 3003,
        ses: 8005,
        dynamodb: 8000,
        sqs: 9324,
      },
      ingressUrl: "http://127.0.0.1:3000",
      webhookToken: "local-dev-token",
      goodsOwnerId: 159,
      externalOngoing: undefined,
      nshiftGoodsOwnerIds: [],
      ongoingAuth: "basic",
    });
  });

  it("logs goods owners' own secrets in by OAuth with ONGOING_AUTH=oauth, and refuses other schemes", () => {
    expect(localDefaults({ ONGOING_AUTH: "oauth" }).ongoingAuth).toBe("oauth");
    expect(() => localDefaults({ ONGOING_AUTH: "bearer" })).toThrow(/ONGOING_AUTH=bearer/);
  });

  it("books the goods owners in LOCAL_NSHIFT_GOODS_OWNERS through the nShift simulator", () => {
    expect(localDefaults({ LOCAL_NSHIFT_GOODS_OWNERS: "159, 160" }).nshiftGoodsOwnerIds).toEqual([159, 160]);
    expect(() => localDefaults({ LOCAL_NSHIFT_GOODS_OWNERS: "159;x" })).toThrow(/LOCAL_NSHIFT_GOODS_OWNERS/);
  });

  it("moves every port by its variable", () => {
    const names = Object.keys(portVariables) as PortName[];
    // A distinct port per name, so a variable read for the wrong port shows.
    const env = Object.fromEntries(
      names.map((name, index) => [portVariables[name].variable, String(41_000 + index)]),
    );
    const { ports, ingressUrl } = localDefaults(env);
    expect(ports).toEqual(Object.fromEntries(names.map((name, index) => [name, 41_000 + index])));
    expect(ingressUrl).toBe(`http://127.0.0.1:${ports.ingress}`);
    // 0 is a valid choice (a free port); an empty variable means "not set".
    expect(localDefaults({ SQS_PORT: "0", DYNAMODB_PORT: "" }).ports).toMatchObject({
      sqs: 0,
      dynamodb: 8000,
    });
  });

  it.each(["abc", "3000.5", "-1", "65536", "80x"])(
    "rejects the port value %j, naming the variable",
    (raw) => {
      expect(() => localDefaults({ LOCAL_INGRESS_PORT: raw })).toThrow(
        `LOCAL_INGRESS_PORT=${raw} is not a port number (0-65535)`,
      );
    },
  );

  it("points the pipeline at another Ongoing with ONGOING_BASE_URL and its login and goods owner", () => {
    const defaults = localDefaults({
      ONGOING_BASE_URL: "https://api.example.com/Warehouse/api/v1/",
      ONGOING_USERNAME: "api-user",
      ONGOING_PASSWORD: "secret",
      ONGOING_GOODS_OWNER_ID: "160",
    });
    expect(defaults.externalOngoing).toEqual({
      baseUrl: "https://api.example.com/Warehouse/api/v1/",
      username: "api-user",
      password: "secret",
    });
    expect(defaults.goodsOwnerId).toBe(160);
    // Without ONGOING_BASE_URL the login variables alone do not leave the simulator.
    expect(localDefaults({ ONGOING_USERNAME: "api-user" }).externalOngoing).toBeUndefined();
  });

  it("takes the token, listen address and ingress URL from the environment", () => {
    expect(
      localDefaults({ WEBHOOK_TOKEN: "t0k3n", LOCAL_HOST: "127.0.0.2", LOCAL_INGRESS_PORT: "4000" }),
    ).toMatchObject({ webhookToken: "t0k3n", host: "127.0.0.2", ingressUrl: "http://127.0.0.2:4000" });
    expect(localDefaults({ LOCAL_INGRESS_URL: "http://localhost:9999" }).ingressUrl).toBe(
      "http://localhost:9999",
    );
  });

  it("rejects a goods-owner id that is not a positive integer, naming the variable", () => {
    expect(() => localDefaults({ ONGOING_GOODS_OWNER_ID: "abc" })).toThrow(/ONGOING_GOODS_OWNER_ID=abc/);
    expect(localDefaults({ ONGOING_GOODS_OWNER_ID: "160" }).goodsOwnerId).toBe(160);
  });
});
