/**
 * Runs the SYNTHESIZED mapping templates of every route through the API Gateway VTL evaluator: the SQS request
 * carries the posted body byte for byte (real and hostile Ongoing payloads), the route's event type and the
 * request's id and time; an oversize body becomes the 413 path; SQS's answers become the webhook's answers.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { messageAttributes, routes, routeUrlPath } from "../functions/shared/contract/routes.ts";
import { createApp } from "../lib/app.ts";
import { oversizeAction } from "../lib/ingress-templates.ts";
import { metadataKey } from "../lib/metadata.ts";
import { evaluateMappingTemplate } from "../local/api-gateway-vtl.ts";

interface Integration {
  RequestTemplates: Record<string, string>;
  IntegrationResponses: {
    SelectionPattern?: string;
    StatusCode: string;
    ResponseTemplates: Record<string, string>;
  }[];
}

const maxBodyChars = 4096;
const integrations = new Map<string, Integration>();

beforeAll(() => {
  const cdk = JSON.parse(readFileSync(new URL("../cdk.json", import.meta.url), "utf8")) as {
    context: Record<string, unknown>;
  };
  const { app, stack } = createApp({
    context: {
      ...cdk.context,
      "aws:cdk:bundling-stacks": [],
      "ongoingWebhooks.ingress.maxBodyBytes": maxBodyChars,
    },
    outdir: mkdtempSync(join(tmpdir(), "ongoing-webhooks-ingress-")),
  });
  const assembly = app.synth();
  const template = assembly.getStackByName(stack.stackName).template as {
    Resources: Record<
      string,
      {
        Type: string;
        Metadata?: Record<string, { routePath?: string }>;
        Properties: { Integration: Integration };
      }
    >;
  };
  for (const resource of Object.values(template.Resources)) {
    const routePath = resource.Metadata?.[metadataKey]?.routePath;
    if (resource.Type === "AWS::ApiGateway::Method" && routePath)
      integrations.set(routePath, resource.Properties.Integration);
  }
});

function routePathAt(index: number): string {
  const route = routes[index];
  if (!route) throw new Error(`no route #${index}`);
  return routeUrlPath(route);
}

/** What SQS refuses in a message body (its allowed set is #x9 | #xA | #xD | #x20–#xD7FF | #xE000–#xFFFD | #x10000–#x10FFFF). */
const sqsRefused = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

const context = { requestId: "c0ffee00-1111-2222-3333-444455556666", requestTimeEpoch: 1767225600123 };

function sendMessageFor(routePath: string, body: string): URLSearchParams {
  const template = integrations.get(routePath)?.RequestTemplates["application/json"];
  if (!template) throw new Error(`no request template for ${routePath}`);
  // SQS reads the form body exactly as URLSearchParams does (`+` is a space, %XX is UTF-8).
  return new URLSearchParams(evaluateMappingTemplate(template, { body, context }).output);
}

function attributes(form: URLSearchParams): Record<string, { type: string; value: string }> {
  const result: Record<string, { type: string; value: string }> = {};
  for (let index = 1; form.has(`MessageAttribute.${index}.Name`); index += 1) {
    result[form.get(`MessageAttribute.${index}.Name`) ?? ""] = {
      type: form.get(`MessageAttribute.${index}.Value.DataType`) ?? "",
      value: form.get(`MessageAttribute.${index}.Value.StringValue`) ?? "",
    };
  }
  return result;
}

const orderWebhook = {
  webhookOrdersId: 4711,
  webhookEventId: 90210,
  system: "DemoWarehouse",
  timestamp: "2023-01-01T12:00:00.0000000",
  orderId: 1234,
  orderNumber: "SO-1001",
  goodsOwnerId: 159,
  goodsOwnerOrderId: "A&B=C+D%20",
  consigneeOrderNumber: null,
  path: "/api/v1/orders/1234",
  byUser: { userId: 7 },
  byComputer: { computerId: 1, computerName: "PACK-01" },
  orderStatus: { number: 450 },
  currentShipmentId: null,
  webhookTemplate: "OrderStatusChanged",
  goodsOwnerName: 'Åsa\'s "Bästa" Butik 🚚',
  goodsOwnerClasses: [{ id: 1, code: "VIP", name: "Viktig kund <b>&amp;</b>" }],
  tracking: [{ trackingUrl: "https://track.example/?id=1&x=a+b", waybill: "W1", isReturn: false }],
  parcels: [
    { id: 1, parcelNumber: "00373500001234567890", isReturnParcel: false, tracking: { trackingUrl: "" } },
  ],
};
const articleWebhook = {
  webhookArticlesId: 12,
  webhookEventId: 777,
  system: "DemoWarehouse",
  timestamp: "2023-01-01T12:00:00.0000000",
  articleSystemId: 55,
  articleNumber: "ÅÄÖ-1 ~*'!()",
  goodsOwnerId: 159,
  path: "/api/v1/articles/55",
  webhookTemplate: "ArticleUpdated",
};
const hostileBodies = [
  JSON.stringify(orderWebhook),
  JSON.stringify(orderWebhook, null, 2).replaceAll("\n", "\r\n"),
  `{"webhookEventId":1,"goodsOwnerId":2,"orderId":3,"note":"a&b=c+d%25e%zz ~ * \\" \\\\ \\n \\t 'q' åäöÅÄÖ 😀👍🏽 \\u0001 end"}`,
  `  {"webhookEventId":1,"goodsOwnerId":2,"orderId":3,"articleSystemId":4}\n\n`,
  `{"webhookEventId":1,"goodsOwnerId":2,"orderId":3,"unknownExtra":{"deep":[1,2,{"x":"#if($a)$b#end $util"}]}}`,
];

describe("request template (SQS SendMessage, query protocol)", () => {
  it("exists for every route, as the only template (application/json)", () => {
    expect([...integrations.keys()].sort()).toEqual(routes.map(routeUrlPath).sort());
    for (const integration of integrations.values()) {
      expect(Object.keys(integration.RequestTemplates)).toEqual(["application/json"]);
    }
  });

  it.each(routes.map((route) => [routeUrlPath(route), route] as const))(
    "%s queues the posted body byte for byte, with event type, request id and receive time",
    (routePath, route) => {
      for (const body of [...hostileBodies, JSON.stringify(articleWebhook)]) {
        const form = sendMessageFor(routePath, body);
        expect(form.get("Action")).toBe("SendMessage");
        expect(form.get("MessageBody")).toBe(body);
        expect(Buffer.from(form.get("MessageBody") ?? "", "utf8").equals(Buffer.from(body, "utf8"))).toBe(
          true,
        );
        expect(attributes(form)).toEqual({
          [messageAttributes.eventType]: { type: "String", value: route.eventType },
          [messageAttributes.requestId]: { type: "String", value: context.requestId },
          [messageAttributes.receivedAt]: { type: "Number", value: String(context.requestTimeEpoch) },
        });
      }
    },
  );

  it("round-trips any JSON document (property)", () => {
    const routePath = routePathAt(0);
    fc.assert(
      fc.property(fc.json({ maxDepth: 3 }), (body) => {
        fc.pre(body.length <= maxBodyChars);
        expect(sendMessageFor(routePath, body).get("MessageBody")).toBe(body);
      }),
      { numRuns: 300 },
    );
  });

  it("queues any JSON with full-Unicode text as a message SQS accepts, decoding to the same document (property)", () => {
    const routePath = routePathAt(1);
    fc.assert(
      fc.property(fc.json({ maxDepth: 2, stringUnit: "binary" }), (body) => {
        fc.pre(body.length <= maxBodyChars / 6);
        const queued = sendMessageFor(routePath, body).get("MessageBody") ?? "";
        expect(sqsRefused.test(queued)).toBe(false);
        expect(JSON.parse(queued)).toEqual(JSON.parse(body));
        if (!/[\uFFFE\uFFFF]/.test(body)) expect(queued).toBe(body);
      }),
      { numRuns: 200 },
    );
  });

  it("queues U+FFFE and U+FFFF, which SQS refuses, as their JSON escapes", () => {
    const body = '{"webhookEventId":1,"goodsOwnerId":2,"orderId":3,"note":"a\uFFFEb\uFFFFc 😀"}';
    const queued = sendMessageFor(routePathAt(0), body).get("MessageBody");
    expect(queued).toBe('{"webhookEventId":1,"goodsOwnerId":2,"orderId":3,"note":"a\\ufffeb\\uffffc 😀"}');
    expect(JSON.parse(queued ?? "").note).toBe("a\uFFFEb\uFFFFc 😀");
  });

  it("turns a body over the limit into the oversize marker call, and accepts one at the limit", () => {
    const routePath = routePathAt(2);
    const padded = (length: number) => {
      const head = '{"webhookEventId":1,"goodsOwnerId":2,"articleSystemId":3,"pad":"';
      return `${head}${"å".repeat(length - head.length - 2)}"}`;
    };
    expect(sendMessageFor(routePath, padded(maxBodyChars)).get("Action")).toBe("SendMessage");
    const oversize = sendMessageFor(routePath, padded(maxBodyChars + 1));
    expect(oversize.get("Action")).toBe(oversizeAction);
    expect(oversize.has("MessageBody")).toBe(false);
  });
});

describe("integration responses", () => {
  const responses = () => integrations.get(routePathAt(0))?.IntegrationResponses ?? [];
  const bySelection = (pattern: string | undefined) => {
    const response = responses().find((candidate) => candidate.SelectionPattern === pattern);
    if (!response) throw new Error(`no integration response for ${pattern}`);
    return response;
  };
  const render = (pattern: string | undefined, sqsBody: string) => {
    const response = bySelection(pattern);
    const result = evaluateMappingTemplate(response.ResponseTemplates["application/json"] ?? "", {
      body: sqsBody,
      context,
    });
    return {
      status: result.responseOverride.status ?? Number(response.StatusCode),
      body: JSON.parse(result.output),
    };
  };

  it("answers 202 with SQS's message id", () => {
    const sqsAnswer = JSON.stringify({
      SendMessageResponse: {
        ResponseMetadata: { RequestId: "r" },
        SendMessageResult: { MD5OfMessageBody: "x", MessageId: "5fea7756-0ea4-451a-a703-a558b933e274" },
      },
    });
    expect(render("2\\d{2}", sqsAnswer)).toEqual({
      status: 202,
      body: { messageId: "5fea7756-0ea4-451a-a703-a558b933e274" },
    });
  });

  it("answers 413 with JSON when SQS rejects the oversize marker call", () => {
    const invalidAction = JSON.stringify({
      Error: {
        Code: "InvalidAction",
        Message: `The action ${oversizeAction} is not valid for this endpoint.`,
        Type: "Sender",
      },
      RequestId: "r",
    });
    const answer = render("400", invalidAction);
    expect(answer.status).toBe(413);
    expect(answer.body).toMatchObject({
      message: expect.stringContaining(String(maxBodyChars)),
      requestId: context.requestId,
    });
  });

  it("answers 5xx (Ongoing retries) with JSON for any other SQS failure", () => {
    const other400 = JSON.stringify({
      Error: { Code: "InvalidMessageContents", Message: "bad", Type: "Sender" },
    });
    expect(render("400", other400)).toMatchObject({ status: 500, body: { requestId: context.requestId } });
    expect(render(undefined, '{"Error":{"Code":"AccessDenied"}}')).toMatchObject({ status: 500 });
  });
});
