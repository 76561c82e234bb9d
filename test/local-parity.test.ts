/**
 * Parity of the ingress stand-in with the synthesized template, per route: the message it queues is exactly
 * what the template's request mapping template yields, it validates with the template's model (which is the
 * one generated from the route's zod schema), and it answers rejections with the template's gateway responses.
 * A change to the stack's templates or models without the stand-in following (or the reverse) fails here.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhookPayload } from "../devkit/payloads.ts";
import { routes, routeUrlPath } from "../functions/shared/contract/routes.ts";
import { requestModel } from "../functions/shared/contract/webhook-schemas.ts";
import { evaluateMappingTemplate } from "../local/api-gateway-vtl.ts";
import { type LocalStack, startLocalStack } from "../local/stack.ts";
import { synthesize } from "../local/synth.ts";
import { type CfnResource, metadataOf, referencedIds, resourcesOfType } from "../local/template.ts";

const Ajv = createRequire(import.meta.url)("ajv-draft-04") as typeof import("ajv-draft-04").default;

let stack: LocalStack;
let outdir: string;
let sqs: SQSClient;

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), "local-parity-"));
  const assembly = await synthesize({ outdir });
  stack = await startLocalStack({
    freePorts: true,
    assemblyDir: assembly.dir,
    consumers: false,
    schedule: false,
  });
  sqs = new SQSClient({
    region: "eu-west-1",
    endpoint: stack.urls.sqs,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
}, 180_000);

afterAll(async () => {
  sqs?.destroy();
  await stack?.stop();
  rmSync(outdir, { recursive: true, force: true });
});

/** The route's POST method in the raw template, found by its metadata. */
function templateMethod(path: string): Record<string, unknown> {
  const found = resourcesOfType(stack.assembly.template, "AWS::ApiGateway::Method").find(
    ([, resource]) => metadataOf(resource)?.routePath === path,
  );
  if (!found) throw new Error(`no method for ${path} in the template`);
  return found[1].Properties ?? {};
}

function templateModel(method: Record<string, unknown>): Record<string, unknown> {
  const [modelId] = referencedIds((method.RequestModels as Record<string, unknown>)["application/json"]);
  const model = stack.assembly.template.Resources[modelId ?? ""] as CfnResource;
  return model.Properties?.Schema as Record<string, unknown>;
}

const post = (path: string, body: string, token = stack.webhookToken) =>
  fetch(`${stack.urls.ingress}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-auth-token": token },
    body,
  });

describe.each(routes.map((route) => [route.path, route] as const))("route %s", (_, route) => {
  const path = routeUrlPath(route);
  const ids = { orderId: 50163, articleSystemId: 18068, goodsOwnerId: 159 };

  it("queues exactly what the template's request mapping template yields", async () => {
    const method = templateMethod(path);
    const integration = method.Integration as { RequestTemplates: Record<string, string> };
    const body = JSON.stringify(webhookPayload(route, ids));
    const response = await post(path, body);
    expect(response.status).toBe(202);
    const { messageId } = (await response.json()) as { messageId: string };

    const queueUrl = stack.queues.find((queue) => queue.useCase === route.useCase)?.url;
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ["All"],
      }),
    );
    const message = Messages.find((candidate) => candidate.MessageId === messageId);
    for (const received of Messages) {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: received.ReceiptHandle }));
    }

    const expected = new URLSearchParams(
      evaluateMappingTemplate(integration.RequestTemplates["application/json"] ?? "", {
        body,
        context: { requestId: "r", requestTimeEpoch: 1 },
      }).output.trim(),
    );
    expect(expected.get("Action")).toBe("SendMessage");
    expect(message?.Body).toBe(expected.get("MessageBody"));
    const attributeNames = [...expected.keys()].filter((key) => /^MessageAttribute\.\d+\.Name$/.test(key));
    expect(Object.keys(message?.MessageAttributes ?? {}).sort()).toEqual(
      attributeNames.map((key) => expected.get(key)).sort(),
    );
    expect(message?.MessageAttributes?.eventType?.StringValue).toBe(route.eventType);
  });

  it("validates with the template's model, which is the route schema's", async () => {
    const model = templateModel(templateMethod(path));
    expect(model).toEqual(requestModel(route.schema));
    const validate = new Ajv({ strict: false }).compile(model);
    const idField = route.useCase === "article-sync" ? "articleSystemId" : "orderId";
    const bad = { ...webhookPayload(route, ids), [idField]: "not-a-number" };
    expect(validate(bad)).toBe(false);
    expect(route.schema.safeParse(bad).success).toBe(false);
    expect((await post(path, JSON.stringify(bad))).status).toBe(400);
  });

  it("answers a wrong token with the template's gateway response", async () => {
    const [, gatewayResponse] =
      resourcesOfType(stack.assembly.template, "AWS::ApiGateway::GatewayResponse").find(
        ([, resource]) => resource.Properties?.ResponseType === "ACCESS_DENIED",
      ) ?? [];
    const templates = gatewayResponse?.Properties?.ResponseTemplates as Record<string, string>;
    const response = await post(path, JSON.stringify(webhookPayload(route, ids)), "wrong-token");
    expect(response.status).toBe(Number(gatewayResponse?.Properties?.StatusCode));
    const body = (await response.json()) as { requestId: string };
    const expected = evaluateMappingTemplate(templates["application/json"] ?? "", {
      context: { requestId: body.requestId, authorizer: { denial: "invalid-token" } },
    }).output;
    expect(body).toEqual(JSON.parse(expected));
  });
});
