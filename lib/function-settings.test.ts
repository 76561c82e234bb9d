import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  orderShippedEmailSettingsSchema,
  readSettings,
  transportBookingSettingsSchema,
} from "../functions/shared/settings.ts";
import { parseConfig } from "./config.ts";
import {
  type ConsumerResources,
  ongoingSecretNames,
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
  sesConfigurationSetName: "mail",
  documentsBucketName: "documents",
  deadLetterQueueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/dlq",
};

/** A deployment that lists every goods owner and sets no defaults. */
const perGoodsOwner = parseConfig({
  ...cdkContext,
  "ongoingWebhooks.ongoing": {
    baseUrl: "https://api.ongoingsystems.se/W/api/v1/",
    automationCredentialsSecretName: "ongoing/automation",
  },
  "ongoingWebhooks.goodsOwners": {
    "159": { credentialsSecretName: "ongoing/159", transporters: [{ code: "PLAB" }] },
    "160": { credentialsSecretName: "ongoing/160", transportApi: "automation", transporters: [] },
  },
  "ongoingWebhooks.email": { senderIdentity: "example.com" },
  "ongoingWebhooks.transport": {},
});

describe("function settings", () => {
  it("leaves unset defaults out, and the functions read them as absent (not empty)", () => {
    const transport = readSettings(
      transportBookingSettingsSchema,
      transportBookingEnvironment(perGoodsOwner, resources) as NodeJS.ProcessEnv,
    );
    expect(transport.ONGOING_CREDENTIALS_SECRET).toBeUndefined();
    expect(transport.TRANSPORTERS).toBeUndefined();
    expect(transport.GOODS_OWNERS["160"]).toMatchObject({ transportApi: "automation", transporters: [] });
    const email = readSettings(
      orderShippedEmailSettingsSchema,
      orderShippedEmailEnvironment(perGoodsOwner, resources) as NodeJS.ProcessEnv,
    );
    expect(email.EMAIL_DEFAULT).toBeUndefined();
  });

  it("names every goods owner's secret, and the Automation login only where asked", () => {
    expect(ongoingSecretNames(perGoodsOwner)).toEqual(["ongoing/159", "ongoing/160"]);
    expect(ongoingSecretNames(perGoodsOwner, { automation: true })).toEqual([
      "ongoing/automation",
      "ongoing/159",
      "ongoing/160",
    ]);
    const withDefault = parseConfig({
      ...cdkContext,
      "ongoingWebhooks.goodsOwners": { "160": { credentialsSecretName: "ongoing/160" } },
    });
    expect(ongoingSecretNames(withDefault)).toEqual(["ongoing-webhooks/ongoing-api", "ongoing/160"]);
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
