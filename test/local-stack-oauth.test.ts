/**
 * The local stack with one goods owner on OAuth 2.0 client credentials (its own secret holds a client id and
 * secret; the default secret stays Basic): its webhooks reach Ongoing with a bearer token from the simulator's
 * login service, and once Ongoing re-issues the client's secret without Secrets Manager learning of it, its next
 * webhook is dead-lettered at once with the reason, not retried.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalStack, startLocalStack } from "../local/stack.ts";
import { synthesize } from "../local/synth.ts";

let stack: LocalStack;
let outdir: string;

const postArticle = (webhookEventId: number, articleSystemId: number) =>
  fetch(`${stack.urls.ingress}/webhooks/article-updated`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-auth-token": stack.webhookToken },
    body: JSON.stringify({ webhookEventId, goodsOwnerId: 159, articleSystemId }),
  });

const ongoing = async <T>(path: string, init?: RequestInit) =>
  (await (await fetch(`${stack.urls.ongoingAdmin}${path}`, init)).json()) as T;

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), "local-stack-oauth-"));
  const assembly = await synthesize({
    outdir,
    context: {
      "ongoingWebhooks.goodsOwners": {
        "159": { credentialsSecretName: "ongoing-webhooks/goods-owners/159" },
      },
    },
  });
  stack = await startLocalStack({
    freePorts: true,
    assemblyDir: assembly.dir,
    schedule: false,
    ongoingAuth: "oauth",
  });
}, 240_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(outdir, { recursive: true, force: true });
});

describe("the local stack with a goods owner on OAuth", () => {
  it("mirrors its articles with a bearer token, and dead-letters at once when its client secret is revoked", async () => {
    expect((await postArticle(1, 20_001)).status).toBe(202);
    await stack.idle();
    const requests = await ongoing<{ operation: string; headers: Record<string, string> }[]>("requests");
    const getArticle = requests.filter((request) => request.operation === "getArticle");
    expect(getArticle.length).toBeGreaterThan(0);
    expect(getArticle.every((request) => request.headers.Authorization === "Bearer ***")).toBe(true);
    expect(requests.filter((request) => request.operation === "token")).toHaveLength(1);

    // Ongoing's admin re-issues the secret (the old one and its tokens stop working); nobody updates the secret.
    await fetch(`${stack.urls.ongoingAdmin}oauth-clients/demo-client`, {
      method: "PUT",
      body: JSON.stringify({ clientSecret: "re-issued" }),
    });
    expect((await postArticle(2, 20_002)).status).toBe(202);
    await stack.idle();
    const queue = stack.queues.find((candidate) => candidate.useCase === "article-sync");
    const sqs = new SQSClient({
      region: "eu-west-1",
      endpoint: stack.urls.sqs,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: String(queue?.deadLetterUrl),
        MessageAttributeNames: ["All"],
        WaitTimeSeconds: 1,
      }),
    );
    sqs.destroy();
    expect(Messages).toHaveLength(1);
    expect(Messages[0]?.MessageAttributes?.failureClass?.StringValue).toBe("permanent");
    expect(Messages[0]?.MessageAttributes?.failureCode?.StringValue).toBe("ongoing-token-refused");
    expect(Messages[0]?.MessageAttributes?.failureReason?.StringValue).toContain("invalid_client");
    expect(Messages[0]?.MessageAttributes?.failureReason?.StringValue).not.toContain("demo-client-secret");
  });
});
