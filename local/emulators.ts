/**
 * Real local implementations of the AWS APIs the functions use, each on a free loopback port:
 * DynamoDB (dynalite), SQS (fauxqs), SES (aws-ses-v2-local). The local stack and the tests start what they need.
 */
import { createRequire } from "node:module";
import type { AddressInfo, Server } from "node:net";

const require = createRequire(import.meta.url);

export interface Emulator {
  readonly endpoint: string;
  stop(): Promise<void>;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
  });
}

/** DynamoDB: dynalite, in memory. No transactions and no TTL API (tables are created without TTL). */
export async function startDynamoDb(port = 0): Promise<Emulator> {
  const dynalite = require("dynalite") as (options: Record<string, unknown>) => Server;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const { port: actual } = server.address() as AddressInfo;
  return { endpoint: `http://127.0.0.1:${actual}`, stop: () => closeServer(server) };
}

/**
 * SQS: fauxqs, in memory, on loopback only (its own `startFauxqs` always listens on every address). Patched
 * (`patches/fauxqs+2.3.1.patch`): every character SQS accepts, and SQS's query protocol, as API Gateway calls it.
 */
export async function startSqs(port = 0): Promise<Emulator> {
  const { buildApp } = await import("fauxqs");
  const app = buildApp({ logger: false, host: "127.0.0.1" });
  const address = await app.listen({ port, host: "127.0.0.1" });
  return { endpoint: `http://127.0.0.1:${new URL(address).port}`, stop: () => app.close() };
}

/** SES: aws-ses-v2-local; every accepted mail can be read back at `GET /store`. */
/**
 * The account aws-ses-v2-local answers GetAccount with (it reads it from its environment at each request): one
 * that may send, with quota left, as the breaker probe expects of a healthy SES.
 */
export const localSesAccount = {
  DedicatedIpAutoWarmupEnabled: false,
  Details: {
    AdditionalContactEmailAddresses: [],
    ContactLanguage: "EN",
    MailType: "TRANSACTIONAL",
    ReviewDetails: { CaseId: "local", Status: "GRANTED" },
    UseCaseDescription: "local",
    WebsiteURL: "http://localhost",
  },
  EnforcementStatus: "HEALTHY",
  ProductionAccessEnabled: true,
  SendingEnabled: true,
  SendQuota: { Max24HourSend: 50_000, MaxSendRate: 14, SentLast24Hours: 0 },
  SuppressionAttributes: { SuppressedReasons: [] },
};

export async function startSes(port = 0): Promise<Emulator & { mails(): Promise<StoredMail[]> }> {
  process.env.AWS_SES_ACCOUNT ??= JSON.stringify(localSesAccount);
  const mod = require("aws-ses-v2-local") as {
    default: (config: { host: string; port: number }) => Promise<Server>;
  };
  const server = await mod.default({ host: "127.0.0.1", port });
  const { port: actual } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${actual}`;
  return {
    endpoint,
    stop: () => closeServer(server),
    async mails() {
      const response = await fetch(`${endpoint}/store`);
      const body = (await response.json()) as { emails: StoredMail[] };
      return body.emails;
    },
  };
}

/** A mail as aws-ses-v2-local stores it. */
export interface StoredMail {
  messageId: string;
  from: string;
  replyTo: string[];
  destination: { to: string[]; cc: string[]; bcc: string[] };
  subject: string;
  body: { text?: string; html?: string };
  at: number;
}
