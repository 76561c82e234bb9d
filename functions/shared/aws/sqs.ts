/** The one SQS client every function shares. */
import { SQSClient } from "@aws-sdk/client-sqs";
import { endpointFor } from "./endpoint.ts";

// The queue URL says which queue; the endpoint always comes from configuration.
export const sqsClient = new SQSClient({ ...endpointFor("SQS"), useQueueUrlAsEndpoint: false });
