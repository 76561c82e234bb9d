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
    "ongoing/automation": JSON.stringify({ username: "automation", password: "automation-password" }),
  });
  vi.stubEnv("AWS_ENDPOINT_URL_SECRETS_MANAGER", secrets.endpoint);
  vi.stubEnv("AWS_ACCESS_KEY_ID", "local");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "local");
  vi.stubEnv("ONGOING_BASE_URL", simulator.baseUrl);
  vi.stubEnv("ONGOING_CREDENTIALS_SECRET", "ongoing/default");
  vi.stubEnv("ONGOING_MAX_ATTEMPTS", "2");
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await secrets.stop();
  await simulator.stop();
});

describe("automationClientFor", () => {
  it("fails permanently while no integrator login is configured", async () => {
    const { automationClientFor } = await import("./automation.ts");
    expect(() => automationClientFor()).toThrow(
      expect.objectContaining({ name: "PermanentError", code: "ongoing-automation-not-configured" }),
    );
  });

  it("reaches the Automation API beside the REST base URL with the integrator secret, for any goods owner", async () => {
    vi.stubEnv("ONGOING_AUTOMATION_CREDENTIALS_SECRET", "ongoing/automation");
    const { automationClientFor } = await import("./automation.ts");
    const client = automationClientFor();
    expect(automationClientFor()).toBe(client);
    expect((await client.getOrder(159, 50163)).goodsOwner.id).toBe(159);
    const light = automationClientFor({ remainingTimeMs: () => 30_000 });
    expect((await light.getOrder(160, 70_001)).goodsOwner.id).toBe(160);
  });
});
