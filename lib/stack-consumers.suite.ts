/** Each use-case's queues and consumer function in the synthesized stack. */
import { Match } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { useCases } from "../functions/shared/contract/routes.ts";
import { sqsDefaultMaximumMessageSize } from "../local/aws-limits.ts";
import { metadataKey } from "./metadata.ts";
import { template, templateHelpers } from "./stack-template.support.ts";

const { resourcesOf, logicalIdOf } = templateHelpers(() => template);

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
});
