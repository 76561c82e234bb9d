/** The webhook authorizer (API Gateway REQUEST authorizer): checks Ongoing's shared token. */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import { logger } from "../shared/powertools/logger.ts";
import { getSecretString } from "../shared/secrets.ts";
import { authorizerSettingsSchema, readSettings } from "../shared/settings.ts";
import { authorize, unauthorized } from "./authorize.ts";

const settings = readSettings(authorizerSettingsSchema);

export const handler = async (
  event: APIGatewayRequestAuthorizerEvent,
): Promise<APIGatewayAuthorizerResult> => {
  try {
    const result = await authorize(event, {
      headerName: settings.WEBHOOK_TOKEN_HEADER,
      allowBasicAuth: settings.WEBHOOK_ALLOW_BASIC_AUTH,
      readTokenSecret: () => getSecretString(settings.WEBHOOK_TOKEN_SECRET),
    });
    const effect = result.policyDocument.Statement[0]?.Effect;
    if (effect !== "Allow")
      logger.warn("webhook token rejected", {
        path: event.path,
        sourceIp: event.requestContext.identity.sourceIp,
      });
    return result;
  } catch (error) {
    if (error instanceof Error && error.message === unauthorized) {
      logger.warn("webhook without token", { path: event.path });
    } else {
      logger.error("authorizer failed", { error });
    }
    throw error;
  }
};
