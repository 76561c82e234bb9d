/**
 * Local = AWS, on one local stack (the synthesized template, each function's bundle in its own process):
 * - every character (property): webhooks whose every string field holds text from any Unicode plane (emoji,
 *   combining marks, right-to-left scripts, and U+FFFE/U+FFFF, which SQS itself refuses) are accepted on every
 *   route, never answered 5xx, and take effect with the Ongoing data's text intact: the mail's subject and body,
 *   the transport booking, the article mirror;
 * - every limit: the local stack fails where AWS would, with AWS's own message: Lambda's 4 KB environment, SQS's
 *   maximum message size, DynamoDB's 400 KB item, API Gateway's 10 MB payload and 29 s integration time-out, and
 *   the ingress's own body limit (answered 413 through SQS's InvalidAction, as deployed).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhookPayload } from "../devkit/payloads.ts";
import { cleanText } from "../functions/order-shipped-email/mail-content.ts";
import { type Route, routes } from "../functions/shared/contract/routes.ts";
import { readRestApi } from "../local/api.ts";
import { apiGatewayMaxPayloadBytes, sqsDefaultMaximumMessageSize } from "../local/aws-limits.ts";
import type { StoredMail } from "../local/emulators.ts";
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
  outdir = mkdtempSync(join(tmpdir(), "local-equals-aws-"));
  await synthesize({ outdir });
  stack = await startLocalStack({ freePorts: true, assemblyDir: outdir, schedule: false });
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

const route = (path: string): Route => {
  const found = routes.find((candidate) => candidate.path === path);
  if (!found) throw new Error(`no route ${path}`);
  return found;
};

const admin = async (path: string, method = "GET", body?: unknown): Promise<Record<string, unknown>> => {
  const response = await fetch(`${stack.urls.ongoingAdmin}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status}`);
  return response.status === 204 ? {} : ((await response.json()) as Record<string, unknown>);
};

/** Posts a webhook; the answer's status. */
const postWebhook = async (path: string, payload: unknown) =>
  (
    await fetch(`${stack.urls.ingress}/webhooks/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-auth-token": stack.webhookToken },
      body: JSON.stringify(payload),
    })
  ).status;

const samples = [
  "😀",
  "👩🏽‍🚀",
  "🇸🇪",
  "e\u0301",
  "A\u030A",
  "ก\u0e31\u0e49",
  "שלום",
  "مرحبا",
  "𝄞",
  "中文",
  "Ω≈ç√",
  "\u{10FFFD}",
  "\uFFFD",
];

/** Text people type (Ongoing data): any printable grapheme of any plane, and the samples, in words. */
const humanText = fc
  .array(fc.oneof(fc.string({ unit: "grapheme", minLength: 1, maxLength: 4 }), fc.constantFrom(...samples)), {
    minLength: 1,
    maxLength: 5,
  })
  .map((words) => words.join(" "))
  // The mail cleans control characters and repeated spaces by design; such text is another test's subject.
  .filter((text) => cleanText(text) === text);

/** Any string at all in a webhook's fields, including U+FFFE/U+FFFF and control characters (JSON escapes them). */
const anyText = fc.oneof(
  humanText,
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.constantFrom("\uFFFE", "a\uFFFFb", "\u0001\u001F\u007F", "\u202Eevil\u202C"),
);

const orderStrings = fc.record({
  system: anyText,
  path: anyText,
  webhookTemplate: anyText,
  orderNumber: anyText,
  goodsOwnerOrderId: anyText,
  consigneeOrderNumber: anyText,
  goodsOwnerName: anyText,
  note: anyText,
});
const articleStrings = fc.record({
  system: anyText,
  path: anyText,
  webhookTemplate: anyText,
  articleNumber: anyText,
  note: anyText,
});

let nextId = 700_000;

const mails = async () =>
  ((await (await fetch(`${stack.urls.ses}/store`)).json()) as { emails: StoredMail[] }).emails;

const mirrorItem = async (articleSystemId: number) =>
  (
    await dynamodb.send(
      new GetItemCommand({
        TableName: stack.tables.articles,
        Key: {
          goodsOwnerId: { N: String(stack.goodsOwnerId) },
          articleSystemId: { N: String(articleSystemId) },
        },
      }),
    )
  ).Item;

describe("every character, on the local stack", () => {
  it("accepts full-Unicode webhooks on every route and keeps the text intact in every effect", async () => {
    const mailOrder = await admin("orders/50163");
    const bookingOrder = await admin("orders/60012");
    const article = await admin("articles/18068");
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          mailOrder: orderStrings,
          bookingOrder: orderStrings,
          article: articleStrings,
          updatedArticle: articleStrings,
          deletedArticle: articleStrings,
          orderNumber: humanText,
          consignee: humanText,
          instruction: humanText,
          articleName: humanText,
          description: humanText,
          renamed: humanText,
        }),
        async (sample) => {
          const mailOrderId = nextId++;
          const bookingOrderId = nextId++;
          const articleSystemId = nextId++;
          const goodsOwnerId = stack.goodsOwnerId;
          const orderNumber = `${sample.orderNumber} ${mailOrderId}`;
          const withInfo = (order: Record<string, unknown>, extra: Record<string, unknown>) => ({
            ...order,
            orderInfo: { ...(order.orderInfo as object), orderNumber, ...extra },
            consignee: { ...(order.consignee as object), name: sample.consignee },
          });
          await admin(`orders/${mailOrderId}`, "PUT", withInfo(mailOrder, {}));
          await admin(
            `orders/${bookingOrderId}`,
            "PUT",
            withInfo(bookingOrder, { deliveryInstruction: sample.instruction }),
          );
          await admin(`articles/${articleSystemId}`, "PUT", {
            ...article,
            articleName: sample.articleName,
            description: sample.description,
          });

          const payload = (path: string, ids: Record<string, number>, strings: Record<string, string>) => ({
            ...webhookPayload(route(path), { goodsOwnerId, ...ids }),
            ...strings,
          });
          const statuses = await Promise.all([
            postWebhook(
              "order-shipped-email",
              payload("order-shipped-email", { orderId: mailOrderId }, sample.mailOrder),
            ),
            postWebhook(
              "transport-booking",
              payload("transport-booking", { orderId: bookingOrderId }, sample.bookingOrder),
            ),
            postWebhook("article-created", payload("article-created", { articleSystemId }, sample.article)),
          ]);
          expect(statuses).toEqual([202, 202, 202]);
          await stack.idle();

          const mail = (await mails()).find((candidate) => candidate.subject.includes(String(mailOrderId)));
          expect(mail?.subject).toContain(orderNumber);
          expect(mail?.body.text).toContain(sample.consignee);
          const bookings = (await (await fetch(`${stack.urls.transportAdmin}/bookings`)).json()) as {
            bookings: { shipment: Record<string, unknown> }[];
          };
          const booking = bookings.bookings.find(
            (candidate) => candidate.shipment.orderId === bookingOrderId,
          );
          expect(booking?.shipment).toMatchObject({
            orderNumber,
            deliveryInstruction: sample.instruction,
            consignee: expect.objectContaining({ name: sample.consignee }),
          });
          const created = await mirrorItem(articleSystemId);
          expect(created?.articleName?.S).toBe(sample.articleName);
          expect(created?.description?.S).toBe(sample.description);

          await admin(`articles/${articleSystemId}`, "PATCH", { articleName: sample.renamed });
          expect(
            await postWebhook(
              "article-updated",
              payload("article-updated", { articleSystemId }, sample.updatedArticle),
            ),
          ).toBe(202);
          await stack.idle();
          expect((await mirrorItem(articleSystemId))?.articleName?.S).toBe(sample.renamed);

          await admin(`articles/${articleSystemId}`, "DELETE");
          expect(
            await postWebhook(
              "article-deleted",
              payload("article-deleted", { articleSystemId }, sample.deletedArticle),
            ),
          ).toBe(202);
          await stack.idle();
          expect((await mirrorItem(articleSystemId))?.deleted?.BOOL).toBe(true);
          const { queues } = await stack.status();
          expect(queues.map((queue) => queue.deadLetters)).toEqual(queues.map(() => 0));
        },
      ),
      { numRuns: 5 },
    );
  }, 240_000);
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
    // A dead-letter queue: the same template attributes, and no consumer to take the test's messages.
    const queueUrl = stack.queues[0]?.deadLetterUrl;
    if (!queueUrl) throw new Error("no queue");
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["MaximumMessageSize"] }),
    );
    // The template sets none, so the queue has SQS's default: its largest, 1 MiB.
    expect(Number(Attributes?.MaximumMessageSize)).toBe(sqsDefaultMaximumMessageSize);
    const body = (bytes: number) => "x".repeat(bytes);
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body(1_048_576) }));
    await expect(
      sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body(1_048_577) })),
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
