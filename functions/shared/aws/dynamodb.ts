/** The one DynamoDB client every function shares. */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { endpointFor } from "./endpoint.ts";

export const dynamoDbClient = new DynamoDBClient({ ...endpointFor("DYNAMODB") });

/** DynamoDB with plain JavaScript values; empty strings and undefined are dropped, not rejected. */
export const documentClient = DynamoDBDocumentClient.from(dynamoDbClient, {
  marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true },
});
