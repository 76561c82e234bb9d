/**
 * One configured AWS SDK client per service, shared by every function. Local endpoints come only through
 * configuration (`AWS_ENDPOINT_URL_<SERVICE>`), so nothing here knows whether it runs on AWS or locally.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SESClient } from "@aws-sdk/client-ses";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/** An explicit endpoint for a service, when configuration names one (local emulators, tests). */
function endpointFor(service: "DYNAMODB" | "SQS" | "SES" | "SECRETS_MANAGER"): { endpoint?: string } {
  const endpoint = process.env[`AWS_ENDPOINT_URL_${service}`];
  return endpoint ? { endpoint } : {};
}

export const dynamoDbClient = new DynamoDBClient({ ...endpointFor("DYNAMODB") });

/** DynamoDB with plain JavaScript values; empty strings and undefined are dropped, not rejected. */
export const documentClient = DynamoDBDocumentClient.from(dynamoDbClient, {
  marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true },
});

// The queue URL says which queue; the endpoint always comes from configuration.
export const sqsClient = new SQSClient({ ...endpointFor("SQS"), useQueueUrlAsEndpoint: false });

// One attempt: an SDK retry after SES accepted a mail would send it twice; the pipeline retries safely instead.
export const sesClient = new SESClient({ ...endpointFor("SES"), maxAttempts: 1 });

export const secretsManagerClient = new SecretsManagerClient({ ...endpointFor("SECRETS_MANAGER") });
