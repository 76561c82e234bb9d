/** The webhook authorizer (API Gateway REQUEST authorizer): checks Ongoing's shared token. */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import { authorizerSettingsSchema } from "../shared/contract/settings.ts";
import { settingsOf } from "../shared/function-settings.ts";
import { logger } from "../shared/powertools/logger.ts";
import { getSecretString } from "../shared/secrets.ts";
import { authorize } from "./authorize.ts";

const settings = settingsOf(authorizerSettingsSchema);

export const handler = async (
  event: APIGatewayRequestAuthorizerEvent,
): Promise<APIGatewayAuthorizerResult> => {
  try {
    const result = await authorize(event, {
      headerName: settings.WEBHOOK_TOKEN_HEADER,
      allowBasicAuth: settings.WEBHOOK_ALLOW_BASIC_AUTH,
      readTokenSecret: () => getSecretString(settings.WEBHOOK_TOKEN_SECRET),
    });
    const denial = result.context?.denial;
    if (denial !== undefined)
      logger.warn(denial === "missing-token" ? "webhook without token" : "webhook token rejected", {
        path: event.path,
        sourceIp: event.requestContext.identity.sourceIp,
      });
    return result;
  } catch (error) {
    logger.error("authorizer failed", { error });
    throw error;
  }
};
