import { describe, expect, it } from "vitest";
import type { GoodsOwnerSettings } from "./contract/settings.ts";
import {
  automationCredentialsSecretFor,
  brandingFor,
  credentialsSecretFor,
  transportAdapterFor,
  transportApiFor,
  transportersFor,
} from "./goods-owners.ts";

const GOODS_OWNERS: GoodsOwnerSettings = {
  "159": {},
  "160": {
    credentialsSecretName: "ongoing/160",
    transportApi: "automation",
    transporters: [{ code: "BUDBEE" }],
    email: { fromAddress: "mail@160.example", brandName: "Shop 160" },
  },
  "161": { transporters: [], email: { brandName: "Shop 161" } },
};

describe("credentialsSecretFor", () => {
  it("takes the goods owner's own secret, else the default", () => {
    const settings = { GOODS_OWNERS, ONGOING_CREDENTIALS_SECRET: "ongoing/default" };
    expect(credentialsSecretFor(160, settings)).toBe("ongoing/160");
    expect(credentialsSecretFor(159, settings)).toBe("ongoing/default");
    expect(credentialsSecretFor(999, settings)).toBe("ongoing/default");
  });

  it("fails permanently with no-credentials, naming both settings, when there is neither", () => {
    expect(() => credentialsSecretFor(159, { GOODS_OWNERS })).toThrow(
      expect.objectContaining({
        name: "PermanentError",
        code: "no-credentials",
        message:
          "no Ongoing API credentials configured for goods owner 159 " +
          "(set goodsOwners.159.credentialsSecretName or ongoing.credentialsSecretName)",
      }),
    );
    expect(credentialsSecretFor(160, { GOODS_OWNERS })).toBe("ongoing/160");
  });
});

describe("transportAdapterFor", () => {
  it("takes the goods owner's adapter over the deployment's", () => {
    const owners: GoodsOwnerSettings = { ...GOODS_OWNERS, "162": { transportAdapter: "nshift" } };
    expect(transportAdapterFor(162, { GOODS_OWNERS: owners, TRANSPORT_ADAPTER: "http" })).toBe("nshift");
    expect(transportAdapterFor(159, { GOODS_OWNERS: owners, TRANSPORT_ADAPTER: "http" })).toBe("http");
    expect(transportAdapterFor(999, { GOODS_OWNERS: owners, TRANSPORT_ADAPTER: "nshift" })).toBe("nshift");
  });
});

describe("transportApiFor and automationCredentialsSecretFor", () => {
  it("takes the goods owner's API over the global one", () => {
    expect(transportApiFor(160, { GOODS_OWNERS, ONGOING_TRANSPORT_API: "rest" })).toBe("automation");
    expect(transportApiFor(159, { GOODS_OWNERS, ONGOING_TRANSPORT_API: "rest" })).toBe("rest");
    expect(transportApiFor(159, { GOODS_OWNERS, ONGOING_TRANSPORT_API: "automation" })).toBe("automation");
  });

  it("needs the integrator login for the Automation API", () => {
    expect(
      automationCredentialsSecretFor(160, { ONGOING_AUTOMATION_CREDENTIALS_SECRET: "ongoing/automation" }),
    ).toBe("ongoing/automation");
    expect(() => automationCredentialsSecretFor(160, {})).toThrow(
      expect.objectContaining({
        code: "no-credentials",
        message: expect.stringContaining("set ongoing.automationCredentialsSecretName"),
      }),
    );
  });
});

describe("transportersFor", () => {
  it("takes the goods owner's own list, else the default; [] is a list (book nothing)", () => {
    const settings = { GOODS_OWNERS, TRANSPORTERS: [{ code: "PLAB" }] };
    expect(transportersFor(160, settings)).toEqual([{ code: "BUDBEE" }]);
    expect(transportersFor(159, settings)).toEqual([{ code: "PLAB" }]);
    expect(transportersFor(161, { GOODS_OWNERS })).toEqual([]);
    expect(transportersFor(159, { GOODS_OWNERS, TRANSPORTERS: [] })).toEqual([]);
  });

  it("fails permanently with no-transporters-configured when there is no list at all", () => {
    expect(() => transportersFor(159, { GOODS_OWNERS })).toThrow(
      expect.objectContaining({
        name: "PermanentError",
        code: "no-transporters-configured",
        message: expect.stringContaining("goodsOwners.159.transporters or transport.transporters"),
      }),
    );
  });
});

describe("brandingFor", () => {
  const EMAIL_DEFAULT = { fromAddress: "noreply@3pl.example", replyTo: ["support@3pl.example"] };

  it("merges the goods owner's own branding over the default, field by field", () => {
    expect(brandingFor(160, { GOODS_OWNERS, EMAIL_DEFAULT })).toEqual({
      fromAddress: "mail@160.example",
      replyTo: ["support@3pl.example"],
      brandName: "Shop 160",
      language: "auto",
    });
    expect(brandingFor(161, { GOODS_OWNERS, EMAIL_DEFAULT })).toMatchObject({
      fromAddress: "noreply@3pl.example",
      brandName: "Shop 161",
    });
    expect(brandingFor(160, { GOODS_OWNERS })).toMatchObject({
      fromAddress: "mail@160.example",
      replyTo: [],
    });
  });

  it("fails permanently with no-email-branding when no From address is configured", () => {
    expect(() => brandingFor(161, { GOODS_OWNERS })).toThrow(
      expect.objectContaining({
        name: "PermanentError",
        code: "no-email-branding",
        message: expect.stringContaining("goodsOwners.161.email.fromAddress or email.default"),
      }),
    );
  });
});
