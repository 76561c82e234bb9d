/** Tables, the article reconcile and the breaker probe in the synthesized stack. */
import { Match } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { useCases } from "../functions/shared/contract/routes.ts";
import { metadataKey } from "./metadata.ts";
import { template, templateHelpers } from "./stack-template.support.ts";

const { logicalIdOf } = templateHelpers(() => template);

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
    // Every consumer's mapping: the use-cases' and the reconcile worker's (behind Ongoing's breaker too).
    const mappingIds = Object.keys(template.findResources("AWS::Lambda::EventSourceMapping"));
    expect(mappingIds).toHaveLength(useCases.length + 1);
    for (const id of mappingIds) expect(consumers).toContain(`{"Ref":"${id}"}`);
    expect(consumers).toContain("article-reconcile");

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
    expect(mappingStatement?.Resource).toHaveLength(useCases.length + 1);
  });
});
