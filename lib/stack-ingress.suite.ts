/** The webhook ingress in the synthesized stack: routes, integration, validation, authorizer, stage. */
import { Match } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { routes, routeUrlPath } from "../functions/shared/contract/routes.ts";
import { requestModel } from "../functions/shared/contract/webhook-schemas.ts";
import { metadataKey } from "./metadata.ts";
import { template, templateHelpers } from "./stack-template.support.ts";

const { resourcesOf } = templateHelpers(() => template);

describe("ingress", () => {
  it("has one POST method per route and no other method (nothing can read a queue through the API)", () => {
    template.resourceCountIs("AWS::ApiGateway::Method", routes.length);
    for (const method of resourcesOf("AWS::ApiGateway::Method")) {
      expect(method.Properties.HttpMethod).toBe("POST");
      expect(method.Properties.AuthorizationType).toBe("CUSTOM");
    }
    for (const route of routes) {
      template.hasResource("AWS::ApiGateway::Method", {
        Metadata: {
          [metadataKey]: {
            kind: "route",
            useCase: route.useCase,
            eventType: route.eventType,
            routePath: routeUrlPath(route),
          },
        },
      });
    }
  });

  it("integrates each route with SQS SendMessage (form-encoded, JSON answers), no Lambda in the path", () => {
    for (const method of resourcesOf("AWS::ApiGateway::Method")) {
      const integration = method.Properties.Integration as Record<string, unknown>;
      expect(integration.Type).toBe("AWS");
      expect(JSON.stringify(integration.Uri)).toContain(":sqs:path/");
      expect(integration.PassthroughBehavior).toBe("NEVER");
      expect(Object.keys(integration.RequestTemplates as object)).toEqual(["application/json"]);
      expect(integration.RequestParameters).toEqual({
        "integration.request.header.Content-Type": "'application/x-www-form-urlencoded'",
        "integration.request.header.Accept": "'application/json'",
      });
      expect(JSON.stringify(integration.RequestTemplates)).toContain("$util.urlEncode($body)");
    }
    template.hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: Match.arrayWith(["sqs:SendMessage"]), Effect: "Allow" }),
        ]),
      },
      Roles: [{ Ref: Match.stringLikeRegexp("IngressSendMessageRole") }],
    });
  });

  it("validates bodies against one model per route and answers errors with JSON", () => {
    template.resourceCountIs("AWS::ApiGateway::RequestValidator", 1);
    template.hasResourceProperties("AWS::ApiGateway::RequestValidator", { ValidateRequestBody: true });
    // Each route's model is the one generated from its zod schema, so edge and functions agree.
    const models = resourcesOf("AWS::ApiGateway::Model").map((model) => model.Properties.Schema);
    for (const route of routes) {
      expect(models).toContainEqual(requestModel(route.schema));
    }
    // Ongoing's webhooks carry `webhookEventId`; the transport system's status callbacks their own `eventId`.
    const webhookModels = models.filter((schema) =>
      ((schema as { required?: string[] } | undefined)?.required ?? []).some(
        (field) => field === "webhookEventId" || field === "eventId",
      ),
    );
    expect(webhookModels).toHaveLength(routes.length);
    for (const [type, status] of [
      ["UNAUTHORIZED", "401"],
      ["ACCESS_DENIED", "403"],
      ["BAD_REQUEST_BODY", "400"],
      ["UNSUPPORTED_MEDIA_TYPE", "415"],
    ]) {
      template.hasResourceProperties("AWS::ApiGateway::GatewayResponse", {
        ResponseType: type,
        StatusCode: status,
        ResponseTemplates: { "application/json": Match.stringLikeRegexp('^\\{"message":') },
      });
    }
    template.hasResourceProperties("AWS::ApiGateway::GatewayResponse", {
      ResponseType: "BAD_REQUEST_BODY",
      ResponseTemplates: {
        "application/json": Match.stringLikeRegexp('^\\{"message":\\$context\\.error\\.messageString,'),
      },
    });
  });

  it("authorizes with a cached REQUEST authorizer on the token header", () => {
    template.hasResourceProperties("AWS::ApiGateway::Authorizer", {
      Type: "REQUEST",
      IdentitySource: "method.request.header.X-Auth-Token",
      AuthorizerResultTtlInSeconds: 300,
    });
    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.objectLike({
          WEBHOOK_TOKEN_SECRET: "ongoing-webhooks/webhook-token",
          WEBHOOK_TOKEN_HEADER: "X-Auth-Token",
          WEBHOOK_ALLOW_BASIC_AUTH: "false",
        }),
      },
    });
  });

  it("throttles the stage and writes JSON access logs without bodies", () => {
    const stage = resourcesOf("AWS::ApiGateway::Stage")[0]?.Properties ?? {};
    expect(stage.MethodSettings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 }),
      ]),
    );
    const format = (stage.AccessLogSetting as { Format: string }).Format;
    expect(format).not.toMatch(/\$input|body/i);
    // API Gateway's substitution: `messageString` comes quoted and escaped, a quoted field's value escaped within
    // its quotes. A validation failure's text holds quotes: the line must still parse, with the detail in it.
    const message = 'Invalid request body "x"';
    const validation = '[object has missing required properties (["articleSystemId"])]';
    const values: Record<string, string> = {
      "$context.error.messageString": JSON.stringify(message),
      "$context.error.validationErrorString": validation,
      "$context.identity.userAgent": 'curl "quoted" \\ agent',
    };
    const line = format
      .replace(/\$context\.error\.messageString/g, values["$context.error.messageString"] ?? "")
      .replace(/"(\$context\.[A-Za-z.]+)"/g, (_, name: string) => JSON.stringify(values[name] ?? name));
    expect(format).not.toMatch(/[^"]\$context\.(?!error\.messageString)[A-Za-z.]+[^"A-Za-z.]/);
    expect(JSON.parse(line)).toMatchObject({
      requestId: "$context.requestId",
      status: "$context.status",
      errorMessage: message,
      validationError: validation,
      denial: "$context.authorizer.denial",
    });
    expect(stage.TracingEnabled).toBe(false);
  });

  it("puts no WAF web ACL on the stage by default (ingress.waf.enabled)", () => {
    template.resourceCountIs("AWS::WAFv2::WebACL", 0);
  });

  it("registers API Gateway's account logging role (kept on delete), so a first deploy in a new account works", () => {
    template.resourceCountIs("AWS::ApiGateway::Account", 1);
    const stage = resourcesOf("AWS::ApiGateway::Stage")[0]?.Properties ?? {};
    expect(stage.MethodSettings).toEqual(
      expect.arrayContaining([expect.objectContaining({ LoggingLevel: "ERROR", DataTraceEnabled: false })]),
    );
    const account = resourcesOf("AWS::ApiGateway::Account")[0];
    expect(account?.DeletionPolicy).toBe("Retain");
  });
});
