/**
 * Every character, end to end on the local stack (property): webhooks whose every string field holds text from
 * any Unicode plane (emoji, combining marks, right-to-left scripts, and U+FFFE/U+FFFF, which SQS itself refuses)
 * are accepted on every route, never answered 5xx, and take effect with the Ongoing data's text intact: the
 * mail's subject and body, the transport booking, the article mirror.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanText } from "../functions/order-shipped-email/mail-content.ts";
import { type Route, routes } from "../functions/shared/webhooks/routes.ts";
import { type LocalStack, startLocalStack } from "../local/stack.ts";
import { synthesize } from "../local/synth.ts";
import { webhookPayload } from "../scripts/webhook.ts";
import type { StoredMail } from "./support/emulators.ts";

let stack: LocalStack;
let outdir: string;
let dynamodb: DynamoDBClient;

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), "local-unicode-"));
  const assembly = await synthesize({ outdir });
  stack = await startLocalStack({ freePorts: true, assemblyDir: assembly.dir, schedule: false });
  dynamodb = new DynamoDBClient({
    region: "eu-west-1",
    endpoint: stack.urls.dynamodb,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
}, 180_000);

afterAll(async () => {
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
const post = async (path: string, payload: unknown) =>
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
            post(
              "order-shipped-email",
              payload("order-shipped-email", { orderId: mailOrderId }, sample.mailOrder),
            ),
            post(
              "transport-booking",
              payload("transport-booking", { orderId: bookingOrderId }, sample.bookingOrder),
            ),
            post("article-created", payload("article-created", { articleSystemId }, sample.article)),
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
            await post(
              "article-updated",
              payload("article-updated", { articleSystemId }, sample.updatedArticle),
            ),
          ).toBe(202);
          await stack.idle();
          expect((await mirrorItem(articleSystemId))?.articleName?.S).toBe(sample.renamed);

          await admin(`articles/${articleSystemId}`, "DELETE");
          expect(
            await post(
              "article-deleted",
              payload("article-deleted", { articleSystemId }, sample.deletedArticle),
            ),
          ).toBe(202);
          await stack.idle();
          expect((await mirrorItem(articleSystemId))?.deleted?.BOOL).toBe(true);
          expect((await stack.status()).queues.map((queue) => queue.deadLetters)).toEqual([0, 0, 0]);
        },
      ),
      { numRuns: 5 },
    );
  }, 240_000);
});
