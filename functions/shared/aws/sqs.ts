/** The one SQS client every function shares (endpoint: `AWS_ENDPOINT_URL_SQS` when set). */
import { SQSClient } from "@aws-sdk/client-sqs";

// The queue URL says which queue; the endpoint always comes from configuration, never from the URL's host.
export const sqsClient = new SQSClient({ useQueueUrlAsEndpoint: false });
