import { describe, expect, it, vi } from "vitest";
import { loginSecret, useLocalAws, useOngoingSimulator } from "../../../test/support/env.ts";

const simulator = useOngoingSimulator();
useLocalAws({
  secrets: { "ongoing/default": loginSecret("demo"), "ongoing/automation": loginSecret("automation") },
  env: () => ({
    ONGOING_BASE_URL: simulator.baseUrl,
    ONGOING_CREDENTIALS_SECRET: "ongoing/default",
    ONGOING_MAX_ATTEMPTS: "2",
  }),
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
