/** What each function may do in the synthesized stack: its settings, secrets, state items, SES. */
import { Match } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { metadataKey } from "./metadata.ts";
import { json, template } from "./stack-template.support.ts";

describe("queues and consumers", () => {
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

  it("puts the reconcile's worker behind the breakers: their settings in its environment", () => {
    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.objectLike({
          USE_CASE: "article-reconcile",
          BREAKER_TABLE_NAME: Match.anyValue(),
          BREAKER_FAILURE_THRESHOLD: "5",
          BREAKER_TRIAL_RECORDS: "3",
          BREAKER_PROBE_INTERVAL_SECONDS: "60",
        }),
      },
    });
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
        ["article-reconcile#*", "article-reconcile-run#*", "breaker#*"],
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
