import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  orderShippedEmailSettingsSchema,
  readSettings,
  transportBookingSettingsSchema,
} from "../functions/shared/contract/settings.ts";
import { parseConfig } from "./config.ts";
import {
  type ConsumerResources,
  ongoingBundledFiles,
  ongoingSecretGrants,
  orderShippedEmailEnvironment,
  transportBookingEnvironment,
} from "./function-settings.ts";

const cdkContext = (
  JSON.parse(readFileSync(new URL("../cdk.json", import.meta.url), "utf8")) as {
    context: Record<string, unknown>;
  }
).context;

const resources: ConsumerResources = {
  stateTableName: "state",
  articlesTableName: "articles",
  trailTableName: "trail",
  sesConfigurationSetName: "mail",
  documentsBucketName: "documents",
  deadLetterQueueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/dlq",
};

/** A deployment that lists every goods owner and sets no defaults. */
const perGoodsOwner = parseConfig({
  ...cdkContext,
  "ongoingWebhooks.ongoing": {
    baseUrl: "https://api.ongoingsystems.se/W/api/v1/",
    goodsOwnerSecretPrefix: "ongoing/goods-owners/",
    automationCredentialsSecretName: "ongoing/automation",
  },
  "ongoingWebhooks.goodsOwners": {
    "159": { credentialsSecretName: "ongoing/goods-owners/159", transporters: [{ code: "PLAB" }] },
    "160": {
      credentialsSecretName: "ongoing/goods-owners/160",
      transportApi: "automation",
      transporters: [],
    },
  },
  "ongoingWebhooks.email": { senderIdentity: "example.com" },
  "ongoingWebhooks.transport": {},
});

describe("function settings", () => {
  // The functions find the bundled files in their code directory, as on Lambda.
  let codeDir: string;
  beforeAll(() => {
    codeDir = mkdtempSync(join(tmpdir(), "bundle-"));
    for (const [name, value] of Object.entries(ongoingBundledFiles(perGoodsOwner)))
      writeFileSync(join(codeDir, name), JSON.stringify(value));
    vi.stubEnv("LAMBDA_TASK_ROOT", codeDir);
  });
  afterAll(() => {
    vi.unstubAllEnvs();
    rmSync(codeDir, { recursive: true });
  });

  it("leaves unset defaults out, and the functions read them as absent (not empty)", () => {
    const transport = readSettings(
      transportBookingSettingsSchema,
      transportBookingEnvironment(perGoodsOwner, resources) as NodeJS.ProcessEnv,
    );
    expect(transport.ONGOING_CREDENTIALS_SECRET).toBeUndefined();
    expect(transport.ONGOING_TOKEN_SCOPE).toBeUndefined();
    expect(transport.ONGOING_TOKEN_URL).toBe("https://login.ongoingwms.com/connect/token");
    expect(transport.TRANSPORTERS).toBeUndefined();
    expect(transport.GOODS_OWNERS["160"]).toMatchObject({ transportApi: "automation", transporters: [] });
    const email = readSettings(
      orderShippedEmailSettingsSchema,
      orderShippedEmailEnvironment(perGoodsOwner, resources) as NodeJS.ProcessEnv,
    );
    expect(email.EMAIL_DEFAULT).toBeUndefined();
  });

  it("grants the goods owners' secrets by their prefix, and the Automation login only where asked", () => {
    expect(ongoingSecretGrants(perGoodsOwner)).toEqual({ names: [], prefixes: ["ongoing/goods-owners/"] });
    expect(ongoingSecretGrants(perGoodsOwner, { automation: true })).toEqual({
      names: ["ongoing/automation"],
      prefixes: ["ongoing/goods-owners/"],
    });
    const withDefault = parseConfig({
      ...cdkContext,
      "ongoingWebhooks.goodsOwners": { "160": { transporters: [] } },
    });
    expect(ongoingSecretGrants(withDefault)).toEqual({
      names: ["ongoing-webhooks/ongoing-api"],
      prefixes: [],
    });
  });

  it("fails naming the setting when its bundled file is missing or does not fit the schema", () => {
    const env = orderShippedEmailEnvironment(perGoodsOwner, resources) as NodeJS.ProcessEnv;
    expect(() =>
      readSettings(orderShippedEmailSettingsSchema, { ...env, GOODS_OWNERS: "missing.json" }),
    ).toThrow(/GOODS_OWNERS: cannot read the bundled file .*missing\.json/);
    writeFileSync(join(codeDir, "bad.json"), JSON.stringify({ "159": { transportApi: "fax" } }));
    expect(() => readSettings(orderShippedEmailSettingsSchema, { ...env, GOODS_OWNERS: "bad.json" })).toThrow(
      /GOODS_OWNERS\.159\.transportApi/,
    );
  });

  it("names the bundled goods-owner files in the environment, never their content", () => {
    const transport = transportBookingEnvironment(perGoodsOwner, resources);
    expect(transport.GOODS_OWNERS).toBe("goods-owners.json");
    expect(JSON.stringify(transport)).not.toContain("ongoing/goods-owners/160");
    expect(ongoingBundledFiles(perGoodsOwner)["goods-owners.json"]).toMatchObject({
      "160": { credentialsSecretName: "ongoing/goods-owners/160", transportApi: "automation" },
    });
  });

  it("gives each concurrent mail invocation its share of the SES sending rate", () => {
    const config = parseConfig({
      ...cdkContext,
      "ongoingWebhooks.email.maxSendRate": 30,
      "ongoingWebhooks.useCases.order-shipped-email.maxConcurrency": 3,
    });
    const mail = readSettings(
      orderShippedEmailSettingsSchema,
      orderShippedEmailEnvironment(config, resources) as NodeJS.ProcessEnv,
    );
    expect(mail.SES_SEND_RATE_PER_INVOCATION).toBe(10);
  });
});
