/**
 * The local stack fails where AWS would, with AWS's own message: Lambda's 4 KB environment, SQS's maximum
 * message size, DynamoDB's 400 KB item, API Gateway's 10 MB payload and 29 s integration time-out, and the
 * ingress's own body limit (answered 413 through SQS's InvalidAction, as deployed).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readRestApi } from "../local/api.ts";
import { apiGatewayMaxPayloadBytes, sqsDefaultMaximumMessageSize } from "../local/aws-limits.ts";
import { ingressHandler } from "../local/ingress.ts";
import { type LocalStack, startLocalStack } from "../local/stack.ts";
import { synthesize } from "../local/synth.ts";
import { type LocalNames, metadataOf, resourcesOfType } from "../local/template.ts";

const localCredentials = { accessKeyId: "local", secretAccessKey: "local" };
let stack: LocalStack;
let outdir: string;
let sqs: SQSClient;
let dynamodb: DynamoDBClient;

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), "local-limits-"));
  await synthesize({ outdir });
  stack = await startLocalStack({ freePorts: true, assemblyDir: outdir, consumers: false, schedule: false });
  sqs = new SQSClient({ region: "eu-west-1", endpoint: stack.urls.sqs, credentials: localCredentials });
  dynamodb = new DynamoDBClient({
    region: "eu-west-1",
    endpoint: stack.urls.dynamodb,
    credentials: localCredentials,
  });
}, 180_000);

afterAll(async () => {
  sqs?.destroy();
  dynamodb?.destroy();
  await stack?.stop();
  rmSync(outdir, { recursive: true, force: true });
});

const post = (route: string, body: string | Buffer) =>
  fetch(`${stack.urls.ingress}/webhooks/${route}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-auth-token": stack.webhookToken },
    body,
  });

describe("AWS's limits on the local stack", () => {
  it("Lambda: a function whose environment is over 4 KB does not start, with Lambda's message", async () => {
    const copy = mkdtempSync(join(tmpdir(), "local-limits-env-"));
    try {
      cpSync(outdir, copy, { recursive: true });
      const templateFile = join(copy, `${stack.assembly.stackName}.template.json`);
      const template = JSON.parse(readFileSync(templateFile, "utf8"));
      const [, consumer] =
        resourcesOfType(template, "AWS::Lambda::Function").find(
          ([, resource]) => metadataOf(resource)?.kind === "consumer",
        ) ?? [];
      const variables = consumer?.Properties?.Environment as { Variables: Record<string, unknown> };
      variables.Variables.PADDING = "x".repeat(4096);
      writeFileSync(templateFile, JSON.stringify(template));
      await expect(
        startLocalStack({ freePorts: true, assemblyDir: copy, consumers: false, schedule: false }),
      ).rejects.toMatchObject({
        name: "InvalidParameterValueException",
        message: expect.stringContaining(
          'Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: {"',
        ),
      });
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  }, 120_000);

  it("SQS: a queue takes messages up to its MaximumMessageSize and refuses larger ones with SQS's message", async () => {
    const queue = stack.queues[0];
    if (!queue) throw new Error("no queue");
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ["MaximumMessageSize"] }),
    );
    // The template sets none, so the queue has SQS's default: its largest, 1 MiB.
    expect(Number(Attributes?.MaximumMessageSize)).toBe(sqsDefaultMaximumMessageSize);
    const body = (bytes: number) => "x".repeat(bytes);
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: body(1_048_576) }));
    await expect(
      sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: body(1_048_577) })),
    ).rejects.toMatchObject({
      message: "One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes.",
    });
  });

  it("DynamoDB: an item over 400 KB is refused with DynamoDB's message", async () => {
    const item = (padBytes: number) => ({
      goodsOwnerId: { N: String(stack.goodsOwnerId) },
      articleSystemId: { N: "424242" },
      pad: { S: "x".repeat(padBytes) },
    });
    await dynamodb.send(new PutItemCommand({ TableName: stack.tables.articles, Item: item(400_000) }));
    await expect(
      dynamodb.send(new PutItemCommand({ TableName: stack.tables.articles, Item: item(410_000) })),
    ).rejects.toMatchObject({
      name: "ValidationException",
      message: "Item size has exceeded the maximum allowed size",
    });
  });

  it("API Gateway: a payload over 10 MB is answered 413 by the gateway, with the stack's gateway response", async () => {
    const answer = await post("article-updated", Buffer.alloc(apiGatewayMaxPayloadBytes + 1, "x"));
    expect(answer.status).toBe(413);
    expect(await answer.json()).toMatchObject({ message: "Payload too large: at most 65536 characters" });
  });

  it("the ingress's body limit: answered 413 through SQS's answer to the unknown action, as deployed", async () => {
    const visible = async () =>
      (await stack.status()).queues.find((queue) => queue.useCase === "article-sync")?.visible;
    const before = await visible();
    const body = JSON.stringify({
      webhookEventId: 1,
      goodsOwnerId: 159,
      articleSystemId: 1,
      pad: "😀".repeat(40_000),
    });
    const answer = await post("article-updated", body);
    expect(answer.status).toBe(413);
    expect(await answer.json()).toMatchObject({ message: "Payload too large: at most 65536 characters" });
    expect(await visible()).toBe(before);
  });

  it("API Gateway: every integration times out after 29 s, answered 504 as API Gateway does", async () => {
    const names: LocalNames = {
      region: "eu-west-1",
      accountId: "000000000000",
      ref: (id) => `local-${id}`,
      getAtt: (id, attribute) => `local-${id}-${attribute}`,
    };
    const api = readRestApi(stack.assembly.template, names);
    expect(api.methods.map((method) => method.integrationTimeoutMs)).toEqual(api.methods.map(() => 29_000));

    // An SQS that takes the call and never answers; the time-out is shortened so the test does not wait 29 s.
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const handle = ingressHandler({
        api: { ...api, authorizer: undefined },
        sqsEndpoint: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
        integrationTimeoutMs: 300,
        region: "eu-west-1",
        accountId: "000000000000",
      });
      const answer = await handle({
        method: "POST",
        path: "/webhooks/article-updated",
        headers: { "content-type": "application/json" },
        body: Buffer.from(JSON.stringify({ webhookEventId: 1, goodsOwnerId: 159, articleSystemId: 1 })),
      });
      expect(answer.status).toBe(504);
      expect(JSON.parse(answer.body)).toMatchObject({ message: "Endpoint request timed out" });
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
