import { describe, expect, it } from "vitest";
import { queueUrlFromArn, toSdkAttributes } from "./queue.ts";

describe("queue helpers", () => {
  it("turns an SQS event source ARN into its queue URL", () => {
    expect(queueUrlFromArn("arn:aws:sqs:eu-west-1:123456789012:article-sync")).toBe(
      "https://sqs.eu-west-1.amazonaws.com/123456789012/article-sync",
    );
  });

  it("turns a Lambda event's message attributes back into SDK attributes", () => {
    expect(
      toSdkAttributes({
        eventType: {
          stringValue: "order-shipped",
          dataType: "String",
          stringListValues: [],
          binaryListValues: [],
        },
        raw: { binaryValue: Buffer.from("hi").toString("base64"), dataType: "Binary" },
      }),
    ).toEqual({
      eventType: { DataType: "String", StringValue: "order-shipped" },
      raw: { DataType: "Binary", BinaryValue: Buffer.from("hi") },
    });
  });
});
