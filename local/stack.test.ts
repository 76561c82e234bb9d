/**
 * The parts of the local stack that need no synthesis: the fail-fast port check (it runs before the slow
 * synthesis, so these tests take milliseconds) and the schedule-rate parsing. The running stack is covered by
 * test/local-stack.test.ts.
 */
import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { PortInUseError, rateMs, startLocalStack } from "./stack.ts";

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

/** Occupies a free loopback port, as another program would. */
async function occupyPort(): Promise<number> {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

describe("startLocalStack's port check", () => {
  it.each([
    ["ingress", "LOCAL_INGRESS_PORT"],
    ["ongoing", "ONGOING_SIMULATOR_PORT"],
    ["sqs", "SQS_PORT"],
  ] as const)("fails with one line naming the %s port and %s when it is taken", async (name, variable) => {
    const taken = await occupyPort();
    // Every other port free (0), so only the taken one can fail; no assemblyDir: the check must come before
    // synthesis, or this would take seconds and write .local/cdk.out.
    const ports = { ingress: 0, ongoing: 0, transport: 0, secretsManager: 0, ses: 0, dynamodb: 0, sqs: 0 };
    const error = await startLocalStack({ env: {}, ports: { ...ports, [name]: taken } }).then(
      () => new Error("started although the port is taken"),
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(PortInUseError);
    const { message } = error as PortInUseError;
    expect(message).toBe(
      `port ${taken} (${name}) is already in use: stop what uses it or set ${variable} to another port`,
    );
    expect(message).not.toContain("\n");
  });

  it("reads the port from its variable when no port is passed", async () => {
    const taken = await occupyPort();
    const env = {
      LOCAL_INGRESS_PORT: "0",
      ONGOING_SIMULATOR_PORT: "0",
      TRANSPORT_SIMULATOR_PORT: "0",
      SECRETS_MANAGER_PORT: "0",
      SES_PORT: "0",
      DYNAMODB_PORT: String(taken),
      SQS_PORT: "0",
    };
    await expect(startLocalStack({ env })).rejects.toThrow(
      `port ${taken} (dynamodb) is already in use: stop what uses it or set DYNAMODB_PORT to another port`,
    );
  });
});

describe("rateMs", () => {
  it("turns EventBridge rate expressions into milliseconds", () => {
    expect(rateMs("rate(1 minute)")).toBe(60_000);
    expect(rateMs("rate(15 minutes)")).toBe(900_000);
    expect(rateMs("rate(2 hours)")).toBe(7_200_000);
    expect(rateMs(" rate(1 day) ")).toBe(86_400_000);
  });

  it("leaves cron and anything else to no timer", () => {
    expect(rateMs("cron(0 3 * * ? *)")).toBeUndefined();
    expect(rateMs("rate(5 weeks)")).toBeUndefined();
    expect(rateMs("")).toBeUndefined();
  });
});
