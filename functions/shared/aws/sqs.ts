/** The one SQS client every function shares (endpoint: `AWS_ENDPOINT_URL_SQS` when set). */
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";

// The queue URL says which queue; the endpoint always comes from configuration, never from the URL's host.
export const sqsClient = new SQSClient({ useQueueUrlAsEndpoint: false });

/** Messages a queue holds (SQS's approximate counts): visible, in flight and delayed. */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
      ],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}
