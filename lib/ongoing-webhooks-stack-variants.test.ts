/** The stack under a non-default configuration: Basic auth, a disabled use-case, tracing, a customer's SES set. */
import { fileURLToPath } from "node:url";
import { App, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { ServiceFunction } from "./service-function.ts";
import { synthesizeStack } from "./stack-template.support.ts";
import { UseCaseConsumer } from "./use-case-consumer.ts";

let template: Template;

beforeAll(() => {
  ({ template } = synthesizeStack({
    "ongoingWebhooks.webhookAuth.allowBasicAuth": true,
    "ongoingWebhooks.useCases.transport-booking.enabled": false,
    "ongoingWebhooks.useCases.article-sync.timeoutSeconds": 120,
    "ongoingWebhooks.ingress.tracing": true,
    "ongoingWebhooks.ingress.waf": { enabled: true, rateLimitPerIp: 1200 },
    "ongoingWebhooks.email.configurationSetName": "existing-set",
    "ongoingWebhooks.articleReconcile.enabled": false,
    "ongoingWebhooks.articleReconcile.fullRateDays": 7,
    "ongoingWebhooks.ongoing.automationCredentialsSecretName": "ongoing-webhooks/automation",
    "ongoingWebhooks.goodsOwners": {
      "160": {
        credentialsSecretName: "ongoing-webhooks/goods-owners/160",
        transportApi: "automation",
        transportAdapter: "nshift",
      },
    },
    "ongoingWebhooks.transport.nshift": {
      credentialsSecretName: "ongoing-webhooks/nshift-api-key",
      senderQuickId: "WH1",
    },
  }));
});

describe("stack variants", () => {
  it("with Basic auth allowed, the authorizer has no identity source and no cache", () => {
    template.hasResourceProperties("AWS::ApiGateway::Authorizer", {
      Type: "REQUEST",
      IdentitySource: "",
      AuthorizerResultTtlInSeconds: 0,
    });
  });

  it("with WAF on, puts a web ACL on the stage: a rate limit per source IP and a body-size limit", () => {
    template.hasResourceProperties("AWS::WAFv2::WebACL", {
      Scope: "REGIONAL",
      DefaultAction: { Allow: {} },
      Rules: [
        Match.objectLike({
          Name: "rate-per-source-ip",
          Action: { Block: {} },
          Statement: {
            RateBasedStatement: { AggregateKeyType: "IP", Limit: 1200, EvaluationWindowSec: 300 },
          },
        }),
        Match.objectLike({
          Name: "body-size",
          Action: { Block: {} },
          Statement: {
            SizeConstraintStatement: Match.objectLike({
              FieldToMatch: { Body: { OversizeHandling: "MATCH" } },
              ComparisonOperator: "GT",
              Size: 16_384,
            }),
          },
        }),
      ],
    });
    const [stageId] = Object.keys(template.findResources("AWS::ApiGateway::Stage"));
    template.hasResourceProperties("AWS::WAFv2::WebACLAssociation", {
      ResourceArn: Match.objectLike({ "Fn::Join": ["", Match.arrayWith([{ Ref: stageId }])] }),
    });
  });

  it("a disabled use-case keeps its queue but has no event source mapping", () => {
    // Four use-cases' queues and the reconcile's, each with a dead-letter queue; the SES mail events' dead-letter queue.
    template.resourceCountIs("AWS::SQS::Queue", 11);
    // The enabled use-cases' and the reconcile worker's.
    template.resourceCountIs("AWS::Lambda::EventSourceMapping", 4);
  });

  it("the breaker probe pauses and resumes only the event sources that exist", () => {
    const [probe] = Object.values(
      template.findResources("AWS::Lambda::Function", {
        Metadata: { OngoingWebhooks: { kind: "breaker-probe" } },
      }),
    ) as { Properties: { Environment: { Variables: Record<string, unknown> } } }[];
    const consumers = JSON.stringify(probe?.Properties.Environment.Variables.BREAKER_CONSUMERS);
    expect(consumers).toContain("order-shipped-email");
    expect(consumers).toContain("article-sync");
    expect(consumers).toContain("article-reconcile");
    expect(consumers).not.toContain("transport-booking");
  });

  it("sets the visibility time-out to six times the function time-out", () => {
    template.hasResource("AWS::SQS::Queue", {
      Metadata: { OngoingWebhooks: { kind: "queue", useCase: "article-sync" } },
      Properties: Match.objectLike({ VisibilityTimeout: 720 }),
    });
  });

  it("traces the stage and functions, uses the named SES configuration set, disables the schedule", () => {
    template.hasResourceProperties("AWS::ApiGateway::Stage", { TracingEnabled: true });
    template.hasResourceProperties("AWS::Lambda::Function", { TracingConfig: { Mode: "Active" } });
    template.resourceCountIs("AWS::SES::ConfigurationSet", 0);
    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: Match.objectLike({ SES_CONFIGURATION_SET: "existing-set" }) },
    });
    template.hasResourceProperties("AWS::Events::Rule", { State: "DISABLED" });
  });

  it("schedules a full reconcile of every goods owner when fullRateDays is set, without retries", () => {
    // The incremental and the full reconcile, the breaker probe's schedule and the SES mail events' rule.
    template.resourceCountIs("AWS::Events::Rule", 4);
    template.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "rate(7 days)",
      State: "DISABLED",
      Targets: [Match.objectLike({ Input: '{"mode":"full"}', RetryPolicy: { MaximumRetryAttempts: 0 } })],
    });
  });
});

/** The secret names a use-case's function may read, from the policies on its role. */
function secretsReadBy(useCase: string): string[] {
  const functions = template.findResources("AWS::Lambda::Function", {
    Metadata: { OngoingWebhooks: { kind: "consumer", useCase } },
  });
  const [fn] = Object.values(functions);
  if (!fn) throw new Error(`no function for ${useCase}`);
  const role = (fn.Properties as { Role: { "Fn::GetAtt": [string, string] } }).Role["Fn::GetAtt"][0];
  const policies = Object.values(template.findResources("AWS::IAM::Policy")).filter((policy) =>
    JSON.stringify(policy.Properties.Roles).includes(`"${role}"`),
  );
  const names = JSON.stringify(policies).match(/:secret:[^"]*?(-\?\?\?\?\?\?|\*)"/g) ?? [];
  return [...new Set(names.map((name) => name.slice(":secret:".length, -1).replace(/-\?{6}$/, "")))].sort();
}

describe("secret grants with many goods owners", () => {
  it("lets each function read the goods owners' secrets by prefix, and only transport booking the Automation login", () => {
    expect(secretsReadBy("transport-booking")).toEqual([
      "ongoing-webhooks/automation",
      "ongoing-webhooks/goods-owners/*",
      "ongoing-webhooks/nshift-api-key",
      "ongoing-webhooks/ongoing-api",
      "ongoing-webhooks/transport-adapter",
    ]);
    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.objectLike({
          TRANSPORT_ADAPTER: "http",
          NSHIFT_BASE_URL: "https://api.unifaun.com/rs-extapi/v1",
          NSHIFT_CREDENTIALS_SECRET: "ongoing-webhooks/nshift-api-key",
          NSHIFT_SENDER_QUICK_ID: "WH1",
        }),
      },
    });
    expect(secretsReadBy("order-shipped-email")).toEqual([
      "ongoing-webhooks/goods-owners/*",
      "ongoing-webhooks/ongoing-api",
    ]);
  });
});

describe("ServiceFunction", () => {
  it("refuses an environment that cannot fit Lambda's 4 KB, naming the largest variable", () => {
    const stack = new Stack();
    expect(
      () =>
        new ServiceFunction(stack, "Big", {
          entry: "unused.ts",
          serviceName: "big",
          environment: { SMALL: "1", GOODS_OWNERS: "x".repeat(4000) },
        }),
    ).toThrow(
      /Big: the function's environment needs up to \d+ bytes, over Lambda's 4096; largest: GOODS_OWNERS/,
    );
  });
});

describe("UseCaseConsumer", () => {
  it("fails early, naming the bad prop", () => {
    const stack = new Stack();
    const props = { useCase: "article-sync" as const, entry: "unused.ts", environment: () => ({}) };
    expect(() => new UseCaseConsumer(stack, "A", { ...props, maxConcurrency: 1 })).toThrow(
      /A: maxConcurrency must be/,
    );
    expect(() => new UseCaseConsumer(stack, "B", { ...props, timeoutSeconds: 901 })).toThrow(
      /B: timeoutSeconds must be/,
    );
    expect(() => new UseCaseConsumer(stack, "C", { ...props, maxReceiveCount: 0 })).toThrow(
      /C: maxReceiveCount must be/,
    );
    expect(() => new UseCaseConsumer(stack, "D", { ...props, batchingWindowSeconds: 301 })).toThrow(
      /D: batchingWindowSeconds must be/,
    );
  });

  it("sets the batching window, at least one second when the batch size is over 10", () => {
    const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
    const stack = new Stack(app, "Windows");
    const props = {
      useCase: "article-sync" as const,
      entry: fileURLToPath(new URL("../functions/article-sync/index.ts", import.meta.url)),
      environment: () => ({}),
    };
    const windowOf = (id: string) => {
      const mappings = Template.fromStack(stack).findResources("AWS::Lambda::EventSourceMapping");
      const [mapping] = Object.entries(mappings).filter(([logicalId]) => logicalId.startsWith(id));
      if (!mapping) throw new Error(`no event source mapping for ${id}`);
      return (mapping[1].Properties as Record<string, unknown>).MaximumBatchingWindowInSeconds;
    };
    new UseCaseConsumer(stack, "None", props);
    new UseCaseConsumer(stack, "Five", { ...props, batchingWindowSeconds: 5 });
    new UseCaseConsumer(stack, "Large", { ...props, batchSize: 50, batchingWindowSeconds: 0 });
    new UseCaseConsumer(stack, "LargeLong", { ...props, batchSize: 50, batchingWindowSeconds: 20 });
    expect(windowOf("None")).toBeUndefined();
    expect(windowOf("Five")).toBe(5);
    expect(windowOf("Large")).toBe(1);
    expect(windowOf("LargeLong")).toBe(20);
  });

  it("keeps article-sync's default batching window when other settings of it are overridden", () => {
    template.hasResource("AWS::Lambda::EventSourceMapping", {
      Properties: Match.objectLike({
        FunctionName: { Ref: Match.stringLikeRegexp("^ArticleSync") },
        MaximumBatchingWindowInSeconds: 1,
      }),
    });
  });
});

describe("with the circuit breakers off", () => {
  it("has no probe, and the consumers are not told of any breaker", () => {
    const { template: off } = synthesizeStack({ "ongoingWebhooks.breaker.enabled": false });
    expect(
      Object.keys(
        off.findResources("AWS::Lambda::Function", {
          Metadata: { OngoingWebhooks: { kind: "breaker-probe" } },
        }),
      ),
    ).toEqual([]);
    for (const fn of Object.values(off.findResources("AWS::Lambda::Function")))
      expect(JSON.stringify(fn)).not.toContain("BREAKER_TABLE_NAME");
  });
});
