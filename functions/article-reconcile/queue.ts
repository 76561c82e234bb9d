/** Queues units of reconcile work, ten messages per request (SQS's batch limit). */
import { SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { sqsClient } from "../shared/aws/sqs.ts";
import { messageAttributes } from "../shared/contract/routes.ts";
import { type ReconcileMessage, reconcileEventType } from "./unit.ts";

const messagesPerBatch = 10;

/** Sends every message or throws naming the goods owners whose unit SQS did not take. */
export async function queueReconcileUnits(
  queueUrl: string,
  messages: readonly ReconcileMessage[],
): Promise<void> {
  const refused: number[] = [];
  for (let start = 0; start < messages.length; start += messagesPerBatch) {
    const batch = messages.slice(start, start + messagesPerBatch);
    const { Failed = [] } = await sqsClient.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((message, index) => ({
          Id: String(index),
          MessageBody: JSON.stringify(message),
          MessageAttributes: {
            [messageAttributes.eventType]: {
              DataType: "String",
              StringValue: reconcileEventType(message.mode),
            },
          },
        })),
      }),
    );
    for (const failure of Failed) refused.push(batch[Number(failure.Id)]?.goodsOwnerId ?? -1);
  }
  if (refused.length > 0) {
    throw new Error(`SQS did not take the reconcile of goods owner(s) ${refused.join(", ")}`);
  }
}
