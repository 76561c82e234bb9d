/** Alarms, the dashboard, outputs and SES's mail events in the synthesized stack. */
import { Match } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { routes, routeUrlPath, useCases } from "../functions/shared/contract/routes.ts";
import { metadataKey } from "./metadata.ts";
import { json, template, templateHelpers } from "./stack-template.support.ts";

const { resourcesOf, logicalIdOf, dashboardSections } = templateHelpers(() => template);

describe("tables, schedule, monitoring, outputs", () => {
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
