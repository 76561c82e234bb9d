import { describe, expect, it } from "vitest";
import { checkLambdaEnvironment, deployedNames, InvalidParameterValueException } from "./aws-limits.ts";

describe("checkLambdaEnvironment", () => {
  // {"A":"…"} is 8 bytes of JSON around the value.
  const environment = (valueBytes: number, character = "x") => ({
    A: character.repeat(valueBytes / Buffer.byteLength(character)),
  });

  it("takes an environment whose JSON is exactly 4 KB", () => {
    expect(() => checkLambdaEnvironment("f", environment(4096 - 8))).not.toThrow();
  });

  it("refuses one byte more with Lambda's message, measured in UTF-8 bytes of the variables' JSON", () => {
    expect(() => checkLambdaEnvironment("f", environment(4096 - 7))).toThrow(InvalidParameterValueException);
    // "å" is two bytes: 2045 of them are 4098 bytes of JSON, though only 2053 characters.
    expect(() => checkLambdaEnvironment("orders", environment(4088, "å"))).not.toThrow();
    expect(() => checkLambdaEnvironment("orders", environment(4090, "å"))).toThrow(
      `orders: Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: {"A":"${"å".repeat(2045)}"}`,
    );
  });
});

describe("deployedNames", () => {
  const template = {
    Resources: {
      OrderShippedEmailDeadLetterQueueA66F1D8A: { Type: "AWS::SQS::Queue" },
      Named: { Type: "AWS::SQS::Queue", Properties: { QueueName: "given" } },
      StateTable9728C7E5: { Type: "AWS::DynamoDB::Table" },
    },
  };
  const names = deployedNames(template, "OngoingWebhooksProductionStackWithALongName", "eu-west-1");

  it("gives queue URLs, table names and ARNs of a deployment's shape and greatest length", () => {
    const url = names.ref("OrderShippedEmailDeadLetterQueueA66F1D8A");
    expect(url).toMatch(
      /^https:\/\/sqs\.eu-west-1\.amazonaws\.com\/\d{12}\/OngoingWebhooksProduction.+-[A-Z]{13}$/,
    );
    expect(url.split("/").at(-1)).toHaveLength(80);
    expect(names.ref("Named")).toBe("https://sqs.eu-west-1.amazonaws.com/123456789012/given");
    expect(names.getAtt("StateTable9728C7E5", "Arn")).toMatch(
      /^arn:aws:dynamodb:eu-west-1:123456789012:table\/OngoingWebhooksProductionStackWithALongName-StateTable9728C7E5-[A-Z]{13}$/,
    );
  });
});
