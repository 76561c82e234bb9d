/** An API Gateway REQUEST authorizer event for a webhook route, as API Gateway sends it. */
import type { APIGatewayRequestAuthorizerEvent } from "aws-lambda";

export const methodArn =
  "arn:aws:execute-api:eu-west-1:123456789012:abc123/v1/POST/webhooks/order-shipped-email";

export function authorizerEvent(headers: Record<string, string>): APIGatewayRequestAuthorizerEvent {
  return {
    type: "REQUEST",
    methodArn,
    resource: "/webhooks/order-shipped-email",
    path: "/webhooks/order-shipped-email",
    httpMethod: "POST",
    headers,
    multiValueHeaders: null,
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: {
      identity: { sourceIp: "192.0.2.1" },
    } as APIGatewayRequestAuthorizerEvent["requestContext"],
  };
}
