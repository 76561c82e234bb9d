/**
 * The saved Logs Insights queries and the Contributor Insights rule (lib/operator-queries.ts) read fields by name;
 * a renamed log key would leave them silently empty. Here real code paths run over the wire (the order-shipped-email
 * and article-sync consumers through fauxqs, dynalite, the Ongoing simulator and aws-ses-v2-local; the mail-events
 * recorder), at the deployed log level (INFO), and every field and message each query names must be in the JSON
 * log lines they wrote. The access log's fields are the ones the stage's format defines.
 */

import * as logs from "aws-cdk-lib/aws-logs";
import type { Handler, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  failuresByGoodsOwnerRule,
  type LogSource,
  logMessages,
  operatorQueries,
} from "../lib/operator-queries.ts";
import { accessLogFields } from "../lib/webhook-ingress.ts";
import { sesEvent } from "../local/ses-events.ts";
import { type OngoingSimulator, startOngoingSimulator } from "../simulators/ongoing/server.ts";
import { loginSecret } from "./support/env.ts";
import { type Harness, startHarness } from "./support/harness.ts";
import { putShippedOrder } from "./support/shipped-order.ts";

let ongoing: OngoingSimulator;
let harness: Harness;
let mailHandler: Handler<SQSEvent, SQSBatchResponse>;
let articleHandler: Handler<SQSEvent, SQSBatchResponse>;
let articleQueue: { queueUrl: string; deadLetterQueueUrl: string };
const output: string[] = [];

beforeAll(async () => {
  ongoing = await startOngoingSimulator();
  harness = await startHarness({
    useCase: "order-shipped-email",
    ses: true,
    secrets: { "ongoing/demo": loginSecret("demo") },
    env: {
      ONGOING_BASE_URL: ongoing.baseUrl,
      ONGOING_CREDENTIALS_SECRET: "ongoing/demo",
      ONGOING_MAX_ATTEMPTS: "1",
      EMAIL_DEFAULT: JSON.stringify({ fromAddress: "noreply@3pl.example" }),
      // As deployed: INFO, JSON.
      POWERTOOLS_LOG_LEVEL: "INFO",
      POWERTOOLS_DEV: "false",
    },
  });
  articleQueue = await harness.addQueue("article-sync");
  ({ handler: mailHandler } = await import("../functions/order-shipped-email/index.ts"));
  ({ handler: articleHandler } = await import("../functions/article-sync/index.ts"));
  for (const stream of [process.stdout, process.stderr]) {
    // Kept, not printed.
    vi.spyOn(stream, "write").mockImplementation((chunk: unknown, ...rest: unknown[]) => {
      output.push(typeof chunk === "string" ? chunk : Buffer.isBuffer(chunk) ? chunk.toString("utf8") : "");
      (rest.find((arg) => typeof arg === "function") as (() => void) | undefined)?.();
      return true;
    });
  }
});

afterAll(async () => {
  vi.restoreAllMocks();
  await harness?.stop();
  await ongoing?.stop();
});

function jsonLines(): Array<Record<string, unknown>> {
  return output
    .flatMap((chunk) => chunk.split("\n"))
    .filter((line) => line.startsWith("{") && !line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const orderEvent = (orderId: number, webhookEventId: number) => ({
  webhookOrdersId: 1,
  webhookEventId,
  system: "demo",
  timestamp: "2024-05-01T12:00:00.0000000",
  orderId,
  orderNumber: `O-${orderId}`,
  goodsOwnerId: 159,
  goodsOwnerOrderId: null,
  path: `/api/v1/orders/${orderId}`,
  orderStatus: { number: 450 },
  webhookTemplate: "OrderStatusChanged",
});

/** Identifiers a query reads: its words, minus strings, numbers, keywords, functions and its own aliases. */
const insightsWords = new Set(
  "fields filter stats sort limit display by as asc desc and or not in like count count_distinct latest earliest max min avg sum pct ispresent coalesce".split(
    " ",
  ),
);
function fieldsOf(query: string): string[] {
  const withoutStrings = query.replace(/"(?:[^"\\]|\\.)*"/g, " ");
  const aliases = new Set([...withoutStrings.matchAll(/\bas\s+([A-Za-z_]\w*)/g)].map((match) => match[1]));
  const words = withoutStrings.match(/@?[A-Za-z_][\w.]*/g) ?? [];
  return [...new Set(words)].filter(
    (word) => !word.startsWith("@") && !insightsWords.has(word) && !aliases.has(word),
  );
}

describe("the operator queries' fields are what the functions log", () => {
  it("every field and message of each query and of the goods-owner rule occurs in real log lines", async () => {
    // Mailed, with one slow Ongoing call (logged at INFO).
    putShippedOrder(ongoing, { goodsOwnerId: 159, orderId: 71_001, orderNumber: "O-71001" });
    ongoing.state.patchOrder(71_001, {
      orderInfo: { emailNotification: { toBeNotified: true, value: "a@b.example" } },
    });
    ongoing.state.latencyMs = 1_050;
    await harness.send(orderEvent(71_001, 5_001), "order-shipped", { apiRequestId: "req-mailed" });
    await harness.run(mailHandler);
    ongoing.state.latencyMs = 0;
    // Retried once (Ongoing 503), then mailed.
    putShippedOrder(ongoing, { goodsOwnerId: 159, orderId: 71_002, orderNumber: "O-71002" });
    ongoing.state.addFault({ status: 503, path: "/orders/71002", times: 1 });
    await harness.send(orderEvent(71_002, 5_002), "order-shipped", { apiRequestId: "req-retried" });
    // Dead-lettered: Ongoing has no such order.
    await harness.send(orderEvent(71_999, 5_003), "order-shipped", { apiRequestId: "req-dead" });
    await harness.run(mailHandler);
    expect((await harness.deadLetters()).map((letter) => letter.attributes.failureCode)).toEqual([
      "not-found",
    ]);
    // An article mirrored.
    const [articleSystemId] = ongoing.state.articleIdsOf(159);
    await harness.send(
      {
        webhookArticlesId: 1,
        webhookEventId: 5_004,
        system: "demo",
        timestamp: "2024-05-01T12:00:00.0000000",
        articleSystemId,
        articleNumber: "whatever",
        goodsOwnerId: 159,
        path: `/api/v1/articles/${articleSystemId}`,
        webhookTemplate: "ArticleWebhook",
      },
      "article-updated",
      { apiRequestId: "req-article" },
      articleQueue.queueUrl,
    );
    await harness.run(articleHandler, { queueUrl: articleQueue.queueUrl });
    // SES's Send event settles a claim whose outcome was never recorded (the mail-events function's line).
    const { WorkflowStore } = await import("../functions/shared/state/workflow.ts");
    await new WorkflowStore({
      tableName: harness.tables.state,
      kind: "shipped-mail",
      ttlSeconds: 3600,
    }).start("159#71003", "sending", { claimedAt: Date.now(), deadline: Date.now() });
    const { ShippedMailLedger } = await import("../functions/shared/shipped-mail-ledger.ts");
    const { recordMailEvent } = await import("../functions/mail-events/mail-events.ts");
    await recordMailEvent(
      new ShippedMailLedger(harness.tables.state),
      sesEvent({
        type: "Send",
        messageId: "ses-1",
        tags: { useCase: "order-shipped-email", goodsOwnerId: "159", orderId: "71003" },
      }),
    );

    const lines = jsonLines();
    const linesOf: Record<LogSource, Array<Record<string, unknown>>> = {
      ingress: [Object.fromEntries(Object.keys(accessLogFields).map((key) => [key, "x"]))],
      consumers: lines.filter((line) => line.useCase !== undefined),
      "mail-events": lines.filter((line) => line.sesEvent !== undefined),
    };
    expect(linesOf["mail-events"].length).toBeGreaterThan(0);

    // Each request id reaches the consumer's lines, the article-sync's too.
    for (const requestId of ["req-mailed", "req-retried", "req-dead", "req-article"]) {
      expect(
        linesOf.consumers.some((line) => line.apiRequestId === requestId),
        requestId,
      ).toBe(true);
    }

    for (const query of operatorQueries) {
      const sourceLines = query.sources.flatMap((source) => linesOf[source]);
      const text = new logs.QueryString(query.query).toString();
      for (const field of fieldsOf(text)) {
        expect(
          sourceLines.some((line) => field in line),
          `${query.name}: no log line has "${field}"`,
        ).toBe(true);
      }
      for (const [, message] of text.matchAll(/message\s*(?:=|in)\s*\[?"([^"]+)"/g)) {
        expect(
          sourceLines.some((line) => line.message === message),
          `${query.name}: "${message}"`,
        ).toBe(true);
      }
    }

    // The slow call is there at INFO, with its latency.
    const slow = linesOf.consumers.filter((line) => line.message === logMessages.ongoingCall);
    expect(slow.some((line) => Number(line.latencyMs) >= 1_000)).toBe(true);

    // The goods-owner rule: failure lines carry the key it counts by.
    const rule = failuresByGoodsOwnerRule(["group"]) as {
      Contribution: { Keys: string[]; Filters: Array<{ Match: string; In?: string[] }> };
    };
    const failureMessages = rule.Contribution.Filters.find((filter) => filter.In)?.In ?? [];
    const failures = linesOf.consumers.filter((line) => failureMessages.includes(String(line.message)));
    expect(new Set(failures.map((line) => line.message))).toEqual(new Set(failureMessages));
    for (const key of rule.Contribution.Keys) {
      const name = key.replace(/^\$\./, "");
      for (const line of failures) expect(line[name], JSON.stringify(line)).toBe(159);
    }
  }, 60_000);
});
