/**
 * What the pipeline does to SQS itself: park a message on the use-case's dead-letter queue with the reason,
 * and hold a message back for a while before its next attempt.
 */
import {
  ChangeMessageVisibilityCommand,
  type MessageAttributeValue,
  SendMessageCommand,
} from "@aws-sdk/client-sqs";
import type { SQSMessageAttributes, SQSRecord } from "aws-lambda";
import { sqsClient } from "../aws/sqs.ts";
import type { Consumer } from "../contract/consumers.ts";
import { messageAttributes } from "../contract/routes.ts";

/** SQS accepts at most 10 message attributes per message. */
const maxAttributes = 10;
/** Keeps the reason readable in the console and well inside SQS's size limits. */
const maxReasonLength = 1000;

export type FailureClass = "permanent" | "exhausted";

export interface DeadLetterReason {
  readonly failureClass: FailureClass;
  readonly code: string;
  /** Log-safe: never personal data. */
  readonly reason: string;
}

/** The queue URL of an SQS event source ARN (`arn:aws:sqs:<region>:<account>:<name>`). */
export function queueUrlFromArn(arn: string): string {
  const [, partition = "aws", , region, account, name] = arn.split(":");
  const domain = partition === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com";
  return `https://sqs.${region}.${domain}/${account}/${name}`;
}

/** The SDK form of a Lambda event's message attributes (String, Number and Binary values). */
export function toSdkAttributes(attributes: SQSMessageAttributes): Record<string, MessageAttributeValue> {
  const converted: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (value.stringValue !== undefined) {
      converted[name] = { DataType: value.dataType, StringValue: value.stringValue };
    } else if (value.binaryValue !== undefined) {
      converted[name] = { DataType: value.dataType, BinaryValue: Buffer.from(value.binaryValue, "base64") };
    }
  }
  return converted;
}

/** Sends the original body to the DLQ with the original attributes and the reason; throws if SQS refuses. */
export async function sendToDeadLetterQueue(
  deadLetterQueueUrl: string,
  useCase: Consumer,
  record: SQSRecord,
  why: DeadLetterReason,
): Promise<void> {
  const failure: Record<string, MessageAttributeValue> = {
    [messageAttributes.failureReason]: { DataType: "String", StringValue: truncate(why.reason) },
    [messageAttributes.failureClass]: { DataType: "String", StringValue: why.failureClass },
    [messageAttributes.failureCode]: { DataType: "String", StringValue: why.code || "unknown" },
    [messageAttributes.sourceMessageId]: { DataType: "String", StringValue: record.messageId },
    [messageAttributes.useCase]: { DataType: "String", StringValue: useCase },
  };
  // The ingress's own attributes come first among the originals; ours win a name clash and the count limit.
  // A redriven message starts its retry budget afresh: the outage counters stay behind.
  const originals = Object.entries(toSdkAttributes(record.messageAttributes ?? {}))
    .filter(
      ([name]) =>
        !(name in failure) &&
        name !== messageAttributes.countedReceives &&
        name !== messageAttributes.deferrals,
    )
    .slice(0, maxAttributes - Object.keys(failure).length);
  await sqsClient.send(
    new SendMessageCommand({
      QueueUrl: deadLetterQueueUrl,
      MessageBody: record.body,
      MessageAttributes: { ...Object.fromEntries(originals), ...failure },
    }),
  );
}

/**
 * Puts a message back on its queue as a new message, delayed, so the receives it spent waiting out a dependency's
 * outage do not count: SQS counts receives per message, and only a new one starts from zero. The receives that do
 * count travel with it (`countedReceives`). The caller then reports the original as done, so SQS deletes it;
 * should that delete fail, the copy is a duplicate the use-case's idempotency absorbs.
 */
export async function requeue(
  record: SQSRecord,
  options: { readonly delaySeconds: number; readonly countedReceives: number; readonly deferrals: number },
): Promise<void> {
  const counters: Record<string, MessageAttributeValue> = {
    [messageAttributes.countedReceives]: { DataType: "Number", StringValue: String(options.countedReceives) },
    [messageAttributes.deferrals]: { DataType: "Number", StringValue: String(options.deferrals) },
  };
  const originals = Object.entries(toSdkAttributes(record.messageAttributes ?? {}))
    .filter(([name]) => !(name in counters))
    .slice(0, maxAttributes - Object.keys(counters).length);
  await sqsClient.send(
    new SendMessageCommand({
      QueueUrl: queueUrlFromArn(record.eventSourceARN),
      MessageBody: record.body,
      DelaySeconds: Math.max(0, Math.min(900, Math.ceil(options.delaySeconds))),
      MessageAttributes: { ...Object.fromEntries(originals), ...counters },
    }),
  );
}

/** Keeps a message invisible for `seconds` from now, so its next attempt comes later. */
export async function holdBack(record: SQSRecord, seconds: number): Promise<void> {
  await sqsClient.send(
    new ChangeMessageVisibilityCommand({
      QueueUrl: queueUrlFromArn(record.eventSourceARN),
      ReceiptHandle: record.receiptHandle,
      VisibilityTimeout: seconds,
    }),
  );
}

function truncate(text: string): string {
  const safe = text.trim() || "no reason given";
  return safe.length > maxReasonLength ? `${safe.slice(0, maxReasonLength - 1)}…` : safe;
}
