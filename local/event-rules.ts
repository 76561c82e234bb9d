/**
 * EventBridge's default bus for the local stack: an event is handed to the Lambda target of every enabled rule
 * of the template whose pattern matches, invoked as an asynchronous invocation is: retried (the function's
 * `MaximumRetryAttempts`, default 2), then sent to its on-failure destination or the target's dead-letter queue.
 */
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { LocalFunction } from "./functions.ts";
import { type CfnTemplate, referencedIds, resourcesOfType } from "./template.ts";

const record = (value: unknown): Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};

/**
 * EventBridge's matching for the pattern forms the stack uses: a list of values matches when the event's value
 * (or any element of it) is one of them; an object matches field by field.
 */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  if (Array.isArray(pattern)) {
    const values = Array.isArray(event) ? event : [event];
    return values.some((value) => pattern.includes(value));
  }
  return Object.entries(record(pattern)).every(([key, inner]) => matchesPattern(inner, record(event)[key]));
}

export function eventRuleDelivery(options: {
  readonly template: CfnTemplate;
  /** The running functions by logical id. */
  readonly functions: ReadonlyMap<string, LocalFunction>;
  readonly sqs: SQSClient;
  readonly queueUrl: (logicalId: string) => string | undefined;
  readonly log?: (line: string) => void;
}): (event: unknown) => Promise<void> {
  const { template, functions } = options;
  const invokeConfigs = resourcesOfType(template, "AWS::Lambda::EventInvokeConfig");
  const targets = resourcesOfType(template, "AWS::Events::Rule")
    .filter(([, rule]) => rule.Properties?.EventPattern && rule.Properties.State !== "DISABLED")
    .flatMap(([, rule]) =>
      ((rule.Properties?.Targets as unknown[] | undefined) ?? []).map((target) => ({
        pattern: rule.Properties?.EventPattern,
        functionId: referencedIds(record(target).Arn)[0],
        deadLetterId: referencedIds(record(record(target).DeadLetterConfig).Arn)[0],
      })),
    );
  return async (event) => {
    for (const target of targets) {
      if (!target.functionId || !matchesPattern(target.pattern, event)) continue;
      const fn = functions.get(target.functionId);
      if (!fn) continue;
      const config = record(
        invokeConfigs.find(([, resource]) =>
          referencedIds(resource.Properties?.FunctionName).includes(target.functionId as string),
        )?.[1].Properties,
      );
      const retries = Number(config.MaximumRetryAttempts ?? 2);
      let failure: unknown;
      for (let attempt = 0; attempt <= retries; attempt++) {
        try {
          await fn.invoke(event);
          failure = undefined;
          break;
        } catch (error) {
          failure = error;
        }
      }
      if (failure === undefined) continue;
      const onFailure = referencedIds(record(record(config.DestinationConfig).OnFailure).Destination)[0];
      const queueUrl = options.queueUrl(onFailure ?? target.deadLetterId ?? "");
      options.log?.(`${fn.name} failed on an event: ${String(failure)}${queueUrl ? " (dead-lettered)" : ""}`);
      if (queueUrl) {
        await options.sqs.send(
          new SendMessageCommand({
            QueueUrl: queueUrl,
            MessageBody: JSON.stringify({
              requestContext: { condition: "RetriesExhausted", functionArn: fn.name },
              requestPayload: event,
              responseContext: { functionError: "Unhandled" },
              responsePayload: { errorMessage: failure instanceof Error ? failure.message : String(failure) },
            }),
          }),
        );
      }
    }
  };
}
