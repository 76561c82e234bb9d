/** The local default event bus: the template's rules' patterns, and a failing target dead-lettered on fauxqs. */
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSqs } from "./emulators.ts";
import { eventRuleDelivery, matchesPattern } from "./event-rules.ts";
import type { LocalFunction } from "./functions.ts";
import { sesEvent } from "./ses-events.ts";
import type { CfnTemplate } from "./template.ts";

const pattern = {
  source: ["aws.ses"],
  "detail-type": ["Email Sent", "Email Delivered"],
  detail: { mail: { tags: { useCase: ["order-shipped-email"] } } },
};
const mailTags = { useCase: "order-shipped-email", goodsOwnerId: "159", orderId: "1" };

describe("matchesPattern", () => {
  it("matches listed values, nested fields and any element of an array", () => {
    expect(matchesPattern(pattern, sesEvent({ type: "Send", messageId: "m", tags: mailTags }))).toBe(true);
    expect(matchesPattern(pattern, sesEvent({ type: "Bounce", messageId: "m", tags: mailTags }))).toBe(false);
    expect(
      matchesPattern(
        pattern,
        sesEvent({ type: "Send", messageId: "m", tags: { ...mailTags, useCase: "other" } }),
      ),
    ).toBe(false);
    expect(matchesPattern({ source: ["aws.ses"] }, { source: "aws.events" })).toBe(false);
  });
});

describe("eventRuleDelivery", () => {
  let sqsEmulator: Awaited<ReturnType<typeof startSqs>>;
  let sqs: SQSClient;
  beforeAll(async () => {
    sqsEmulator = await startSqs();
    sqs = new SQSClient({
      region: "eu-west-1",
      endpoint: sqsEmulator.endpoint,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
  });
  afterAll(async () => {
    sqs.destroy();
    await sqsEmulator.stop();
  });

  it("invokes the matching rule's function, retries it as Lambda does, then dead-letters the event", async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "events-dlq" }));
    const template: CfnTemplate = {
      Resources: {
        Rule: {
          Type: "AWS::Events::Rule",
          Properties: {
            EventPattern: pattern,
            State: "ENABLED",
            Targets: [
              {
                Arn: { "Fn::GetAtt": ["Fn", "Arn"] },
                DeadLetterConfig: { Arn: { "Fn::GetAtt": ["Dlq", "Arn"] } },
              },
            ],
          },
        },
        Config: {
          Type: "AWS::Lambda::EventInvokeConfig",
          Properties: { FunctionName: { Ref: "Fn" }, MaximumRetryAttempts: 2 },
        },
      },
    } as CfnTemplate;
    const invoked: unknown[] = [];
    const failing: LocalFunction = {
      name: "mail-events",
      async invoke(event) {
        invoked.push(event);
        throw new Error("table unavailable");
      },
      async setEventSourceEnabled() {},
      async stop() {},
    };
    const deliver = eventRuleDelivery({
      template,
      functions: new Map([["Fn", failing]]),
      sqs,
      queueUrl: (id) => (id === "Dlq" ? QueueUrl : undefined),
    });

    await deliver(sesEvent({ type: "Bounce", messageId: "m", tags: mailTags }));
    expect(invoked).toHaveLength(0);
    const event = sesEvent({ type: "Send", messageId: "m-1", tags: mailTags });
    await deliver(event);
    expect(invoked).toHaveLength(3);

    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
    expect(Messages).toHaveLength(1);
    expect(JSON.parse(Messages[0]?.Body ?? "{}")).toMatchObject({
      requestPayload: { detail: { mail: { messageId: "m-1" } } },
      responsePayload: { errorMessage: "table unavailable" },
    });
  });
});
