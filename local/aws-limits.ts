import type { CfnTemplate, LocalNames } from "./template.ts";

/**
 * AWS's hard limits that a deployment hits, enforced by the local stack with AWS's own error text, so what runs
 * locally would also deploy and run. Where a local implementation enforces a limit itself, it is named here:
 * SQS's message size and characters (fauxqs, patched), DynamoDB's 400 KB item (dynalite).
 */

/** Lambda: all of a function's environment variables, measured as their JSON, at most 4 KB. */
export const lambdaEnvironmentMaxBytes = 4 * 1024;

/** API Gateway (REST): the largest request payload. */
export const apiGatewayMaxPayloadBytes = 10 * 1024 * 1024;

/** API Gateway (REST): the default (and, without a quota increase, largest) integration time-out. */
export const apiGatewayIntegrationTimeoutMs = 29_000;

/** SQS: a queue's MaximumMessageSize when the template sets none, and the most it may be set to (1 MiB). */
export const sqsDefaultMaximumMessageSize = 1_048_576;

/** What Lambda's CreateFunction / UpdateFunctionConfiguration answer to an environment over the limit. */
export class InvalidParameterValueException extends Error {
  override readonly name = "InvalidParameterValueException";
}

/**
 * Refuses a function's environment as Lambda does: the variables' JSON over 4 KB. The runtime's own variables
 * (AWS_REGION, credentials, …) are Lambda's and do not count, so pass only the template's.
 */
export function checkLambdaEnvironment(functionName: string, variables: Record<string, string>): void {
  const measured = JSON.stringify(variables);
  if (Buffer.byteLength(measured, "utf8") <= lambdaEnvironmentMaxBytes) return;
  throw new InvalidParameterValueException(
    `${functionName}: Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: ${measured}`,
  );
}

/** Longest name CloudFormation gives each kind of resource it names itself. */
const generatedNameMax: Record<string, number> = {
  "AWS::SQS::Queue": 80,
  "AWS::Lambda::Function": 64,
  "AWS::DynamoDB::Table": 255,
};

/** Each resource's name property, when the template sets one. */
const nameProperty: Record<string, string> = {
  "AWS::SQS::Queue": "QueueName",
  "AWS::Lambda::Function": "FunctionName",
  "AWS::DynamoDB::Table": "TableName",
};

/**
 * Names and URLs as a deployment gives them (`<stack>-<logical id>-<13 characters>` in a 12-digit account), to
 * measure what depends on their length as AWS will: local names are shorter than deployed ones.
 */
export function deployedNames(template: CfnTemplate, stackName: string, region: string): LocalNames {
  const accountId = "123456789012";
  const physicalName = (id: string): string => {
    const resource = template.Resources[id];
    const given = resource?.Properties?.[nameProperty[resource.Type] ?? "Name"];
    if (typeof given === "string") return given;
    const max = generatedNameMax[resource?.Type ?? ""] ?? 128;
    const suffix = "-ABCDEFGHIJKLM";
    return `${stackName}-${id}`.slice(0, max - suffix.length) + suffix;
  };
  const service = (id: string) => (template.Resources[id]?.Type.split("::")[1] ?? "").toLowerCase();
  return {
    region,
    accountId,
    ref(id) {
      if (template.Resources[id]?.Type === "AWS::SQS::Queue")
        return `https://sqs.${region}.amazonaws.com/${accountId}/${physicalName(id)}`;
      return physicalName(id);
    },
    getAtt(id, attribute) {
      if (attribute === "Arn") {
        const type = template.Resources[id]?.Type;
        const resourcePart =
          type === "AWS::DynamoDB::Table"
            ? `table/${physicalName(id)}`
            : type === "AWS::Lambda::Function"
              ? `function:${physicalName(id)}`
              : physicalName(id);
        return `arn:aws:${service(id)}:${region}:${accountId}:${resourcePart}`;
      }
      if (attribute === "QueueUrl")
        return `https://sqs.${region}.amazonaws.com/${accountId}/${physicalName(id)}`;
      return physicalName(id);
    },
  };
}
