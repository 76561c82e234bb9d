import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { messageAttributes } from "../functions/shared/contract/routes.ts";

/** Attributes the pipeline adds when it dead-letters a message: dropped when the message goes back. */
export const failureAttributes: readonly string[] = [
  messageAttributes.failureReason,
  messageAttributes.failureClass,
  messageAttributes.failureCode,
  messageAttributes.sourceMessageId,
  messageAttributes.useCase,
];

export interface MovedMessage {
  readonly messageId: string;
  /** The failure reason it was dead-lettered with, if the pipeline recorded one. */
  readonly failureReason: string | undefined;
  readonly newMessageId?: string;
  /** The webhook as it was queued, and its attributes' string values (the failure ones included). */
  readonly body: string;
  readonly attributes: Record<string, string>;
}

/** Receive/send redrive (local SQS has no message move tasks). */
export async function redriveByCopy(options: {
  sqs: SQSClient;
  queueUrl: string;
  deadLetterUrl: string;
  dryRun?: boolean;
}): Promise<MovedMessage[]> {
  const { sqs, queueUrl, deadLetterUrl } = options;
  const moved: MovedMessage[] = [];
  const seen: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: deadLetterUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 30,
        MessageAttributeNames: ["All"],
      }),
    );
    if (Messages.length === 0) break;
    for (const message of Messages) {
      const attributes: Record<string, MessageAttributeValue> = {};
      for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
        if (!failureAttributes.includes(name)) attributes[name] = value;
      }
      const failureReason = message.MessageAttributes?.[messageAttributes.failureReason]?.StringValue;
      const seenAs = { body: message.Body ?? "", attributes: stringValues(message.MessageAttributes) };
      if (options.dryRun) {
        seen.push(message);
        moved.push({ messageId: message.MessageId ?? "", failureReason, ...seenAs });
        continue;
      }
      const sent = await sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: message.Body ?? "",
          ...(Object.keys(attributes).length > 0 ? { MessageAttributes: attributes } : {}),
        }),
      );
      await sqs.send(
        new DeleteMessageCommand({ QueueUrl: deadLetterUrl, ReceiptHandle: message.ReceiptHandle }),
      );
      moved.push({
        messageId: message.MessageId ?? "",
        failureReason,
        newMessageId: sent.MessageId ?? "",
        ...seenAs,
      });
    }
  }
  // A dry run only looked: make what it saw visible again at once.
  for (let index = 0; index < seen.length; index += 10) {
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: deadLetterUrl,
        Entries: seen.slice(index, index + 10).map((message, offset) => ({
          Id: String(offset),
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: 0,
        })),
      }),
    );
  }
  return moved;
}

const stringValues = (attributes: Record<string, MessageAttributeValue> = {}) =>
  Object.fromEntries(
    Object.entries(attributes).flatMap(([name, value]) =>
      value.StringValue === undefined ? [] : [[name, value.StringValue]],
    ),
  );

export async function queueArn(sqs: SQSClient, url: string): Promise<string> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }),
  );
  return String(Attributes?.QueueArn);
}

export async function approximateCount(sqs: SQSClient, url: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["ApproximateNumberOfMessages"] }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
}
