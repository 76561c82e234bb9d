/**
 * The one DynamoDB client every function shares. Like every client here it takes its endpoint from the SDK's own
 * configuration (`AWS_ENDPOINT_URL_DYNAMODB` locally, the regional endpoint on AWS): nothing knows where it runs.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

export const dynamoDbClient = new DynamoDBClient({});

/** DynamoDB with plain JavaScript values; empty strings and undefined are dropped, not rejected. */
export const documentClient = DynamoDBDocumentClient.from(dynamoDbClient, {
  marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true },
});
