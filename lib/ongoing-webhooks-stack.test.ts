import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Match, Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { routes, routeUrlPath, useCases } from "../functions/shared/webhooks/routes.ts";
import { requestModel } from "../functions/shared/webhooks/schemas.ts";
import { sqsDefaultMaximumMessageSize } from "../local/aws-limits.ts";
import { createApp } from "./app.ts";
import { metadataKey } from "./metadata.ts";

const cdkContext = (
  JSON.parse(readFileSync(new URL("../cdk.json", import.meta.url), "utf8")) as {
    context: Record<string, unknown>;
  }
).context;

let template: Template;
let json: string;

beforeAll(() => {
  // Bundling is skipped here (the template is what is asserted); `npx cdk synth` bundles for real.
  const { app, stack } = createApp({
    context: { ...cdkContext, "aws:cdk:bundling-stacks": [] },
    outdir: mkdtempSync(join(tmpdir(), "ongoing-webhooks-cdk-")),
  });
  // The cdk-nag AwsSolutions checks run here: any unacknowledged finding throws.
  app.synth();
  template = Template.fromStack(stack);
  json = JSON.stringify(template.toJSON());
});

const resourcesOf = (type: string) =>
  Object.values(template.findResources(type)) as {
    Properties: Record<string, unknown>;
    Metadata?: Record<string, unknown>;
    DeletionPolicy?: string;
  }[];

/** The logical id of the one queue or function with this OngoingWebhooks metadata. */
function logicalIdOf(metadata: Record<string, string>): string {
  const ids = ["AWS::SQS::Queue", "AWS::Lambda::Function"].flatMap((type) =>
    Object.keys(template.findResources(type, { Metadata: { [metadataKey]: metadata } })),
  );
  expect(ids, JSON.stringify(metadata)).toHaveLength(1);
  return ids[0] ?? "";
}

/**
 * The dashboard's metric rows, grouped by the large header ("# …") they follow. The body is a Fn::Join of JSON
 * text and references; each reference becomes `{{LogicalId}}`, which leaves valid JSON to read. A row is the
 * metric's identity without its options (`[namespace, name, dimension, value, …]`), or a search expression.
 */
function dashboardSections(): Map<string, Array<string[] | string>> {
  const [dashboard] = resourcesOf("AWS::CloudWatch::Dashboard");
  if (!dashboard) throw new Error("no dashboard in the template");
  const [, parts] = (dashboard.Properties.DashboardBody as { "Fn::Join": [string, unknown[]] })["Fn::Join"];
  const body = parts
    .map((part) => {
      if (typeof part === "string") return part;
      const ref = part as { Ref?: string; "Fn::GetAtt"?: [string, string] };
      return `{{${ref.Ref ?? ref["Fn::GetAtt"]?.[0]}}}`;
    })
    .join("");
  const widgets = (JSON.parse(body) as { widgets: Array<{ properties: Record<string, unknown> }> }).widgets;
  const sections = new Map<string, Array<string[] | string>>();
  let rows: Array<string[] | string> = [];
  for (const { properties } of widgets) {
    const header = /^# (.+)$/.exec(String(properties.markdown ?? ""));
    if (header?.[1]) {
      rows = [];
      sections.set(header[1], rows);
    }
    for (const row of (properties.metrics ?? []) as unknown[][]) {
      const expression = (row[0] as { expression?: string } | undefined)?.expression;
      if (expression !== undefined) rows.push(expression);
      else rows.push(row.filter((cell): cell is string => typeof cell === "string"));
    }
  }
  return sections;
}

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

describe("queues and consumers", () => {
  it("gives each use-case an encrypted, SSL-only queue with its own 14-day dead-letter queue", () => {
    // One queue and one dead-letter queue per use-case, the article reconcile's queue of units with its
    // dead-letter queue, and the SES mail events' dead-letter queue.
    template.resourceCountIs("AWS::SQS::Queue", useCases.length * 2 + 3);
    for (const useCase of useCases) {
      template.hasResource("AWS::SQS::Queue", {
        Metadata: { [metadataKey]: { kind: "queue", useCase } },
        Properties: Match.objectLike({
          SqsManagedSseEnabled: true,
          VisibilityTimeout: 360,
          // Webhooks waiting out a long outage must not expire first.
          MessageRetentionPeriod: 14 * 24 * 3600,
          RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: 8 },
        }),
      });
      template.hasResource("AWS::SQS::Queue", {
        Metadata: { [metadataKey]: { kind: "deadLetterQueue", useCase } },
        Properties: Match.objectLike({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 }),
      });
    }
    // The size the local stack assumes (an older queue's default is 256 KiB): every queue says it.
    expect(sqsDefaultMaximumMessageSize).toBe(1_048_576);
    for (const queue of resourcesOf("AWS::SQS::Queue")) {
      expect(queue.Properties).toMatchObject({ MaximumMessageSize: sqsDefaultMaximumMessageSize });
    }
    template.resourceCountIs("AWS::SQS::QueuePolicy", useCases.length * 2 + 3);
    for (const policy of resourcesOf("AWS::SQS::QueuePolicy")) {
      expect(JSON.stringify(policy.Properties)).toContain('"aws:SecureTransport":"false"');
    }
  });

  it("runs every function on Node 24, arm64, with JSON logs in a log group with retention", () => {
    const functions = resourcesOf("AWS::Lambda::Function");
    // The consumers, the authorizer, the reconcile's dispatcher and worker, the mail-events function and the
    // breaker probe.
    expect(functions).toHaveLength(useCases.length + 5);
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: "nodejs24.x",
        Architectures: ["arm64"],
        Handler: "index.handler",
      });
      expect((fn.Properties.Environment as { Variables: Record<string, string> }).Variables).toMatchObject({
        NODE_OPTIONS: "--enable-source-maps",
      });
    }
    for (const logGroup of resourcesOf("AWS::Logs::LogGroup")) {
      expect(logGroup.Properties.RetentionInDays).toBe(30);
    }
  });

  it("consumes each queue with partial batch responses, batch size and maximum concurrency from config", () => {
    template.resourceCountIs("AWS::Lambda::EventSourceMapping", useCases.length + 1);
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      BatchSize: 10,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
  });

  it("gives article-sync a one-second batching window by default and the other consumers none", () => {
    const windows = Object.fromEntries(
      resourcesOf("AWS::Lambda::EventSourceMapping").map((mapping) => [
        JSON.stringify(mapping.Properties.FunctionName),
        mapping.Properties.MaximumBatchingWindowInSeconds,
      ]),
    );
    for (const useCase of useCases) {
      const fnId = logicalIdOf({ kind: "consumer", useCase });
      expect(windows[JSON.stringify({ Ref: fnId })]).toBe(useCase === "article-sync" ? 1 : undefined);
    }
  });

  it("builds each consumer's environment from its settings schema, secrets by name only", () => {
    template.hasResource("AWS::Lambda::Function", {
      Metadata: { [metadataKey]: { kind: "consumer", useCase: "order-shipped-email" } },
      Properties: Match.objectLike({
        Environment: {
          Variables: Match.objectLike({
            USE_CASE: "order-shipped-email",
            MAX_RECEIVE_COUNT: "8",
            ONGOING_CREDENTIALS_SECRET: "ongoing-webhooks/ongoing-api",
            DEAD_LETTER_QUEUE_URL: { Ref: Match.stringLikeRegexp("OrderShippedEmailDeadLetterQueue") },
            SES_CONFIGURATION_SET: { Ref: Match.stringLikeRegexp("MailConfigurationSet") },
            EMAIL_DEFAULT: Match.stringLikeRegexp("shipping@example.com"),
            // The default 14 mails a second, shared by the default 2 concurrent invocations.
            SES_SEND_RATE_PER_INVOCATION: "7",
          }),
        },
      }),
    });
    template.hasResource("AWS::Lambda::Function", {
      Metadata: { [metadataKey]: { kind: "reconcile" } },
      Properties: Match.objectLike({
        Environment: {
          Variables: Match.objectLike({ RECONCILE_GOODS_OWNER_IDS: "reconcile-goods-owner-ids.json" }),
        },
      }),
    });
  });

  it("grants GetSecretValue on exactly the named secrets and SES sending on the sender identity only", () => {
    template.hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: "secretsmanager:GetSecretValue",
            Effect: "Allow",
            Resource: {
              "Fn::Join": ["", Match.arrayWith([":secret:ongoing-webhooks/webhook-token-??????"])],
            },
          },
        ]),
      },
    });
    template.hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: "ses:SendEmail",
            Resource: Match.arrayWith([{ "Fn::Join": ["", Match.arrayWith([":identity/example.com"])] }]),
          }),
        ]),
      },
    });
    template.hasResourceProperties("AWS::SES::ConfigurationSet", {
      ReputationOptions: { ReputationMetricsEnabled: true },
    });
  });

  it("lets only the consumers that keep state reach the state table (article-sync: its breaker items only)", () => {
    const tableId = Object.keys(template.findResources("AWS::DynamoDB::Table")).find((id) =>
      id.startsWith("StateTable"),
    );
    const consumer = (useCase: string) => {
      const [fn] = Object.values(
        template.findResources("AWS::Lambda::Function", {
          Metadata: { [metadataKey]: { kind: "consumer", useCase } },
        }),
      ) as { Properties: { Role: { "Fn::GetAtt": [string] }; Environment: { Variables: object } } }[];
      const roleId = fn?.Properties.Role["Fn::GetAtt"][0];
      const policies = Object.values(template.findResources("AWS::IAM::Policy")).filter((policy) =>
        JSON.stringify(policy).includes(`{"Ref":"${roleId}"}`),
      );
      return { environment: fn?.Properties.Environment.Variables, policies: JSON.stringify(policies) };
    };
    expect(tableId).toBeDefined();
    for (const useCase of ["order-shipped-email", "transport-booking"]) {
      expect(consumer(useCase).policies).toContain(`"${tableId}"`);
      expect(consumer(useCase).environment).toHaveProperty("STATE_TABLE_NAME");
    }
    const articleSync = consumer("article-sync");
    const statements = (
      JSON.parse(articleSync.policies) as { Properties: { PolicyDocument: { Statement: object[] } } }[]
    ).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    const onStateTable = statements.filter((statement) => JSON.stringify(statement).includes(`"${tableId}"`));
    expect(onStateTable).toEqual([
      expect.objectContaining({
        Action: [
          "dynamodb:BatchGetItem",
          "dynamodb:GetItem",
          "dynamodb:PutItem",
          "dynamodb:UpdateItem",
          "dynamodb:DeleteItem",
        ],
        Condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["breaker#*"] } },
      }),
    ]);
    expect(articleSync.environment).not.toHaveProperty("STATE_TABLE_NAME");
    expect(articleSync.environment).toHaveProperty("BREAKER_TABLE_NAME");
  });

  it("grants each function only the state items under its own key prefixes, and the mirror only what it uses", () => {
    const stateTableId = Object.keys(template.findResources("AWS::DynamoDB::Table")).find((id) =>
      id.startsWith("StateTable"),
    );
    const articlesTableId = Object.keys(template.findResources("AWS::DynamoDB::Table")).find((id) =>
      id.startsWith("ArticlesTable"),
    );
    type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };
    const statementsOn = (metadata: Record<string, string>, tableId: string | undefined) => {
      const [fn] = Object.values(
        template.findResources("AWS::Lambda::Function", { Metadata: { [metadataKey]: metadata } }),
      ) as { Properties: { Role: { "Fn::GetAtt": [string] } } }[];
      const roleId = fn?.Properties.Role["Fn::GetAtt"][0];
      return (
        Object.values(template.findResources("AWS::IAM::Policy")) as {
          Properties: { Roles: unknown[]; PolicyDocument: { Statement: Statement[] } };
        }[]
      )
        .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(`"${roleId}"`))
        .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
        .filter((statement) => JSON.stringify(statement.Resource).includes(`"${tableId}"`));
    };
    const stateAccess = {
      "order-shipped-email": [
        { kind: "consumer", useCase: "order-shipped-email" },
        ["shipped-mail#*", "breaker#*"],
      ],
      "transport-booking": [
        { kind: "consumer", useCase: "transport-booking" },
        ["idempotency#transport-booking#*", "transport-booking#*", "breaker#*"],
      ],
      "mail-events": [{ kind: "mail-events" }, ["shipped-mail#*"]],
      "article-reconcile": [
        { kind: "consumer", useCase: "article-reconcile" },
        ["article-reconcile#*", "article-reconcile-run#*"],
      ],
      "breaker-probe": [{ kind: "breaker-probe" }, ["breaker#*"]],
    } as const;
    for (const [name, [metadata, leadingKeys]] of Object.entries(stateAccess)) {
      expect(statementsOn(metadata, stateTableId), name).toEqual([
        {
          Action: [
            "dynamodb:BatchGetItem",
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
          ],
          Effect: "Allow",
          Resource: expect.anything(),
          Condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": leadingKeys } },
        },
      ]);
    }
    const mirrorUsers: Record<string, string>[] = [
      { kind: "consumer", useCase: "article-sync" },
      { kind: "consumer", useCase: "article-reconcile" },
    ];
    // The reconcile's dispatcher only queues units: no table at all.
    expect(statementsOn({ kind: "reconcile" }, stateTableId)).toEqual([]);
    expect(statementsOn({ kind: "reconcile" }, articlesTableId)).toEqual([]);
    for (const metadata of mirrorUsers) {
      const statements = statementsOn(metadata, articlesTableId);
      expect(statements.map((statement) => statement.Action)).toEqual([
        ["dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:UpdateItem"],
      ]);
    }
    expect(json).not.toContain("ses:SendRawEmail");
  });

  it("records bounces and complaints of the stack's mail configuration set as CloudWatch metrics", () => {
    const [setId] = Object.keys(template.findResources("AWS::SES::ConfigurationSet"));
    template.hasResourceProperties("AWS::SES::ConfigurationSetEventDestination", {
      ConfigurationSetName: { Ref: setId },
      EventDestination: Match.objectLike({
        Enabled: true,
        MatchingEventTypes: Match.arrayWith(["bounce", "complaint"]),
        CloudWatchDestination: { DimensionConfigurations: Match.arrayWith([Match.objectLike({})]) },
      }),
    });
  });

  it("keeps secret values out of the template", () => {
    template.resourceCountIs("AWS::SecretsManager::Secret", 0);
    expect(json).not.toContain("resolve:secretsmanager");
    expect(json).not.toMatch(/SecretString|"password"/i);
  });
});

describe("tables, schedule, monitoring, outputs", () => {
  it("creates the state and articles tables on demand, encrypted, with PITR and TTL", () => {
    template.resourceCountIs("AWS::DynamoDB::Table", 3);
    template.hasResource("AWS::DynamoDB::Table", {
      Metadata: { [metadataKey]: { kind: "table", table: "state" } },
      Properties: Match.objectLike({
        KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
        BillingMode: "PAY_PER_REQUEST",
        SSESpecification: { SSEEnabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: "expiration", Enabled: true },
      }),
    });
    template.hasResource("AWS::DynamoDB::Table", {
      Metadata: { [metadataKey]: { kind: "table", table: "articles" } },
      Properties: Match.objectLike({
        KeySchema: [
          { AttributeName: "goodsOwnerId", KeyType: "HASH" },
          { AttributeName: "articleSystemId", KeyType: "RANGE" },
        ],
        TimeToLiveSpecification: { AttributeName: "purgeAt", Enabled: true },
        GlobalSecondaryIndexes: [
          {
            IndexName: "tombstones",
            KeySchema: [
              { AttributeName: "goodsOwnerId", KeyType: "HASH" },
              { AttributeName: "deletedAt", KeyType: "RANGE" },
            ],
            Projection: { ProjectionType: "ALL" },
          },
        ],
      }),
    });
  });

  it("keeps the trail in its own table, by event id, with keys-only indexes and a 30-day TTL by default", () => {
    template.hasResource("AWS::DynamoDB::Table", {
      Metadata: { [metadataKey]: { kind: "table", table: "trail" } },
      Properties: Match.objectLike({
        KeySchema: [{ AttributeName: "eventId", KeyType: "HASH" }],
        BillingMode: "PAY_PER_REQUEST",
        SSESpecification: { SSEEnabled: true },
        TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
        GlobalSecondaryIndexes: ["bySubject", "byHour", "failures"].map((IndexName) =>
          Match.objectLike({ IndexName, Projection: { ProjectionType: "KEYS_ONLY" } }),
        ),
      }),
    });
    const consumers = template.findResources("AWS::Lambda::Function", {
      Metadata: { [metadataKey]: { kind: "consumer" } },
    });
    const webhookConsumers = Object.values(consumers).filter((fn) =>
      (useCases as readonly string[]).includes(String(fn.Metadata?.[metadataKey]?.useCase)),
    );
    expect(webhookConsumers).toHaveLength(useCases.length);
    for (const fn of webhookConsumers) {
      expect(fn.Properties.Environment.Variables).toMatchObject({ TRAIL_RETENTION_DAYS: "30" });
      expect(fn.Properties.Environment.Variables.TRAIL_TABLE_NAME).toBeDefined();
    }
  });

  it("lets the consumers and mail-events only update trail items (no read, no delete, no index)", () => {
    const trailId = Object.keys(template.findResources("AWS::DynamoDB::Table")).find((id) =>
      id.startsWith("TrailTable"),
    );
    const statements = Object.values(template.findResources("AWS::IAM::Policy")).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[],
    );
    const onTrail = statements.filter((statement) =>
      JSON.stringify(statement.Resource).includes(`"${trailId}"`),
    );
    expect(onTrail.length).toBe(useCases.length + 1);
    for (const statement of onTrail) {
      expect(statement.Action).toBe("dynamodb:UpdateItem");
      expect(statement.Resource).toEqual({ "Fn::GetAtt": [trailId, "Arn"] });
    }
  });

  it("grants the article mirror and its tombstones index by name, never every index (index/*)", () => {
    const policies = JSON.stringify(template.findResources("AWS::IAM::Policy"));
    expect(policies).toContain("/index/tombstones");
    expect(policies).not.toContain("/index/*");
  });

  it("keeps the article mirror like the state table: encrypted, with point-in-time recovery", () => {
    template.hasResource("AWS::DynamoDB::Table", {
      Metadata: { [metadataKey]: { kind: "table", table: "articles" } },
      Properties: Match.objectLike({
        BillingMode: "PAY_PER_REQUEST",
        SSESpecification: { SSEEnabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      }),
    });
  });

  it("runs the article reconcile on its schedule, with no retries of the scheduled invocation", () => {
    template.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "rate(1 hour)",
      State: "ENABLED",
      Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 0 } })],
    });
    // Lambda's own two retries of a failed asynchronous invocation are off too.
    template.hasResourceProperties("AWS::Lambda::EventInvokeConfig", { MaximumRetryAttempts: 0 });
  });

  it("queues one unit per goods owner for a worker that takes one at a time, 15 minutes each", () => {
    const [queueId] =
      Object.entries(template.findResources("AWS::SQS::Queue")).find(
        ([, queue]) =>
          JSON.stringify(queue.Metadata).includes('"useCase":"article-reconcile"') &&
          JSON.stringify(queue.Metadata).includes('"kind":"queue"'),
      ) ?? [];
    expect(queueId).toBeDefined();
    template.hasResource("AWS::SQS::Queue", {
      Metadata: { [metadataKey]: { kind: "queue", useCase: "article-reconcile" } },
      Properties: Match.objectLike({
        VisibilityTimeout: 5400,
        RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: 5 },
      }),
    });
    template.hasResource("AWS::Lambda::Function", {
      Metadata: { [metadataKey]: { kind: "reconcile" } },
      Properties: Match.objectLike({
        Timeout: 60,
        Environment: {
          Variables: Match.objectLike({
            // The list itself is bundled beside the handler (see lib/goods-owners-scale.test.ts).
            RECONCILE_GOODS_OWNER_IDS: "reconcile-goods-owner-ids.json",
            RECONCILE_QUEUE_URL: { Ref: queueId },
          }),
        },
      }),
    });
    template.hasResource("AWS::Lambda::Function", {
      Metadata: { [metadataKey]: { kind: "consumer", useCase: "article-reconcile" } },
      Properties: Match.objectLike({
        Timeout: 900,
        Environment: {
          Variables: Match.objectLike({
            USE_CASE: "article-reconcile",
            RECONCILE_QUEUE_URL: { Ref: queueId },
            RECONCILE_PAGE_SIZE: "500",
            MAX_RECEIVE_COUNT: "5",
          }),
        },
      }),
    });
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      BatchSize: 1,
      EventSourceArn: { "Fn::GetAtt": [queueId, "Arn"] },
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
  });

  it("probes open circuit breakers every minute, pausing and resuming exactly the consumers' mappings", () => {
    const probeId = logicalIdOf({ kind: "breaker-probe" });
    const rules = Object.values(template.findResources("AWS::Events::Rule")).filter((rule) =>
      JSON.stringify(rule).includes(`"${probeId}"`),
    ) as { Properties: { ScheduleExpression: string } }[];
    expect(rules.map((rule) => rule.Properties.ScheduleExpression)).toEqual(["rate(1 minute)"]);

    const [probe] = Object.values(
      template.findResources("AWS::Lambda::Function", {
        Metadata: { [metadataKey]: { kind: "breaker-probe" } },
      }),
    ) as {
      Properties: { Role: { "Fn::GetAtt": [string] }; Environment: { Variables: Record<string, unknown> } };
    }[];
    const consumers = JSON.stringify(probe?.Properties.Environment.Variables.BREAKER_CONSUMERS);
    // The use-cases' mappings; the reconcile's worker is not paused by a breaker (its units retry on their own).
    const [reconcileWorkerId] = Object.keys(
      template.findResources("AWS::Lambda::Function", {
        Metadata: { [metadataKey]: { kind: "consumer", useCase: "article-reconcile" } },
      }),
    );
    const mappingIds = Object.entries(template.findResources("AWS::Lambda::EventSourceMapping"))
      .filter(
        ([, mapping]) => !JSON.stringify(mapping.Properties.FunctionName).includes(`"${reconcileWorkerId}"`),
      )
      .map(([id]) => id);
    expect(mappingIds).toHaveLength(useCases.length);
    for (const id of mappingIds) expect(consumers).toContain(`{"Ref":"${id}"}`);

    const roleId = probe?.Properties.Role["Fn::GetAtt"][0];
    const statements = Object.values(template.findResources("AWS::IAM::Policy"))
      .filter((policy) => JSON.stringify(policy).includes(`{"Ref":"${roleId}"}`))
      .flatMap(
        (policy) =>
          (policy as { Properties: { PolicyDocument: { Statement: object[] } } }).Properties.PolicyDocument
            .Statement,
      ) as { Action: string | string[]; Resource: unknown }[];
    const mappingStatement = statements.find((statement) =>
      [statement.Action].flat().includes("lambda:UpdateEventSourceMapping"),
    );
    expect(JSON.stringify(mappingStatement?.Resource)).not.toContain('"*"');
    expect(mappingStatement?.Resource).toHaveLength(useCases.length);
  });

  it("alarms when a dependency's circuit breaker is open and shows how long and how many webhooks wait", () => {
    const alarms = resourcesOf("AWS::CloudWatch::Alarm").map((alarm) => JSON.stringify(alarm.Properties));
    for (const dependency of ["ongoing", "ses", "transport"]) {
      const alarm = alarms.find((text) => text.includes(`${dependency}-breaker`));
      expect(alarm, dependency).toContain('"MetricName":"BreakerOpen"');
    }
    const rows = dashboardSections().get("Dependencies (circuit breakers)")?.flat() ?? [];
    for (const name of ["BreakerOpen", "BreakerOpenMinutes", "WebhooksWaiting"]) expect(rows).toContain(name);
  });

  it("alarms on dead letters, message age, function errors and throttles, ingress 5xx and auth denials", () => {
    const alarms = resourcesOf("AWS::CloudWatch::Alarm").map((alarm) => alarm.Properties);
    const names = alarms.map((alarm) => JSON.stringify(alarm.AlarmName));
    for (const useCase of useCases) {
      expect(names.some((name) => name.includes(`${useCase}-queue`) && /DLQ|Dead/i.test(name))).toBe(true);
      expect(names.some((name) => name.includes(`${useCase}-queue`) && /Age/i.test(name))).toBe(true);
      expect(names.some((name) => name.includes(`${useCase}-function`) && /Fault/i.test(name))).toBe(true);
      expect(names.some((name) => name.includes(`${useCase}-function`) && /Throttl/i.test(name))).toBe(true);
    }
    expect(names.some((name) => name.includes("-ingress-Fault-Count"))).toBe(true);
    expect(json).toContain('"MetricName":"5XXError"');
    expect(names.some((name) => name.includes("auth-denials"))).toBe(true);
    for (const alarm of alarms) {
      expect(alarm.AlarmActions).toEqual([{ Ref: expect.stringMatching(/AlarmTopic/) }]);
    }
    template.hasResourceProperties("AWS::SNS::Topic", { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "email",
      Endpoint: "ops@example.com",
    });
    template.resourceCountIs("AWS::CloudWatch::Dashboard", 1);
  });

  it("alarms before SES would pause sending: bounce rate at 5 %, complaint rate at 0.1 %", () => {
    for (const [metricName, threshold] of [
      ["Reputation.BounceRate", 0.05],
      ["Reputation.ComplaintRate", 0.001],
    ] as const) {
      template.hasResourceProperties("AWS::CloudWatch::Alarm", {
        Metrics: Match.arrayWith([
          Match.objectLike({
            MetricStat: Match.objectLike({
              Metric: Match.objectLike({ Namespace: "AWS/SES", MetricName: metricName }),
            }),
          }),
        ]),
        Threshold: threshold,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
        AlarmActions: [{ Ref: Match.stringLikeRegexp("AlarmTopic") }],
      });
    }
  });

  it("shows per use-case the queue, dead-letter queue, function and pipeline metrics on the dashboard", () => {
    const sections = dashboardSections();
    for (const useCase of useCases) {
      const rows = sections.get(`Use-case: ${useCase}`) ?? [];
      const queue = `{{${logicalIdOf({ kind: "queue", useCase })}}}`;
      const dlq = `{{${logicalIdOf({ kind: "deadLetterQueue", useCase })}}}`;
      const fn = `{{${logicalIdOf({ kind: "consumer", useCase })}}}`;
      expect(rows, useCase).toEqual(
        expect.arrayContaining([
          ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", dlq],
          ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", queue],
          ["AWS/Lambda", "Errors", "FunctionName", fn],
          ["AWS/Lambda", "Duration", "FunctionName", fn],
          ["AWS/Lambda", "Throttles", "FunctionName", fn],
          // Emitted with the service dimension alone (functions/shared/pipeline/consumer.ts).
          ["OngoingWebhooks", "Processed", "service", useCase],
        ]),
      );
      // Failed and OngoingApiCall carry more dimensions than service, so only a search whose schema names
      // them all finds them (a metric keyed by fewer dimensions is another metric, with no data).
      const searches = rows.filter((row): row is string => typeof row === "string");
      expect(searches, useCase).toEqual(
        expect.arrayContaining([
          `SEARCH('{"OngoingWebhooks","service","class"} "service"="${useCase}" MetricName="Failed"', 'Sum', 300)`,
          `SEARCH('{"OngoingWebhooks","service","class"} "service"="${useCase}" MetricName="DeadLettered"', 'Sum', 300)`,
          `SEARCH('{"OngoingWebhooks","service","operation","statusClass"} "service"="${useCase}" MetricName="OngoingApiCall"', 'Sum', 300)`,
        ]),
      );
    }
    const ingress = sections.get("Ingress (API Gateway → SQS)") ?? [];
    for (const metricName of ["4XXError", "5XXError", "Latency", "Count"]) {
      expect(ingress, metricName).toContainEqual(
        expect.arrayContaining(["AWS/ApiGateway", metricName, "ApiName", "Stage"]),
      );
    }
  });

  it("outputs each route's URL, the queue URLs, the table names and the dashboard URL", () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    for (const route of routes) {
      const key = Object.keys(outputs).find(
        (name) => name.toLowerCase() === `routeurl${route.path.replaceAll("-", "")}`,
      );
      expect(JSON.stringify(outputs[key ?? ""]?.Value)).toContain(routeUrlPath(route));
    }
    for (const name of [
      "StateTableName",
      "ArticlesTableName",
      "TrailTableName",
      "DashboardUrl",
      "QueueUrlArticleSync",
      "DeadLetterQueueUrlArticleSync",
    ]) {
      expect(outputs[name]).toBeDefined();
    }
  });
});

describe("SES mail events", () => {
  it("publishes the configuration set's sending events to the default bus", () => {
    template.hasResourceProperties("AWS::SES::ConfigurationSetEventDestination", {
      EventDestination: Match.objectLike({
        MatchingEventTypes: ["send", "delivery", "bounce", "complaint", "reject"],
        EventBridgeDestination: { EventBusArn: Match.anyValue() },
      }),
    });
    expect(JSON.stringify(template.toJSON())).toContain(":event-bus/default");
  });

  it("routes the shipped-mails' events to the mail-events function, dead-lettering what fails", () => {
    const functionId = logicalIdOf({ kind: "mail-events" });
    const deadLetterId = Object.keys(
      template.findResources("AWS::SQS::Queue", { Metadata: { [metadataKey]: { kind: "mail-events-dlq" } } }),
    )[0];
    template.hasResourceProperties("AWS::Events::Rule", {
      EventPattern: {
        source: ["aws.ses"],
        "detail-type": [
          "Email Sent",
          "Email Delivered",
          "Email Bounced",
          "Email Complaint Received",
          "Email Rejected",
        ],
        detail: { mail: { tags: { useCase: ["order-shipped-email"] } } },
      },
      Targets: [
        Match.objectLike({
          Arn: { "Fn::GetAtt": [functionId, "Arn"] },
          DeadLetterConfig: { Arn: { "Fn::GetAtt": [deadLetterId, "Arn"] } },
        }),
      ],
    });
    template.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
      FunctionName: { Ref: functionId },
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { "Fn::GetAtt": [deadLetterId, "Arn"] } } },
    });
    template.hasResource("AWS::SQS::Queue", {
      Metadata: { [metadataKey]: { kind: "mail-events-dlq" } },
      Properties: Match.objectLike({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 }),
    });
  });
});
