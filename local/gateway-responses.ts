/** API Gateway's gateway responses: its defaults per type, overridden by the template's GatewayResponses. */
import type { RestApi } from "./api.ts";
import { evaluateMappingTemplate } from "./api-gateway-vtl.ts";

/** API Gateway's default status and message per gateway response type. */
const gatewayDefaults: Record<string, { status: number; message: string }> = {
  MISSING_AUTHENTICATION_TOKEN: { status: 403, message: "Missing Authentication Token" },
  UNAUTHORIZED: { status: 401, message: "Unauthorized" },
  ACCESS_DENIED: {
    status: 403,
    message: "User is not authorized to access this resource with an explicit deny",
  },
  AUTHORIZER_FAILURE: { status: 500, message: "Internal server error" },
  AUTHORIZER_CONFIGURATION_ERROR: { status: 500, message: "Internal server error" },
  BAD_REQUEST_BODY: { status: 400, message: "Invalid request body" },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: "Unsupported Media Type" },
  REQUEST_TOO_LARGE: { status: 413, message: "Request Too Long" },
  API_CONFIGURATION_ERROR: { status: 500, message: "Internal server error" },
  INTEGRATION_TIMEOUT: { status: 504, message: "Endpoint request timed out" },
  INTEGRATION_FAILURE: { status: 504, message: "Internal server error" },
};

export interface GatewayError {
  readonly message?: string;
  readonly validationErrorString?: string;
}

/** A gateway response of a type, as the template configures it (its own, else its family's, else the default). */
export function gatewayResponse(
  api: RestApi,
  context: Record<string, unknown>,
  type: string,
  error: GatewayError = {},
): { status: number; headers: Record<string, string>; body: string } {
  const defaults = gatewayDefaults[type] ?? { status: 500, message: "Internal server error" };
  const family = defaults.status >= 500 ? "DEFAULT_5XX" : "DEFAULT_4XX";
  const configured = api.gatewayResponses.get(type) ?? api.gatewayResponses.get(family);
  const status = api.gatewayResponses.get(type)?.statusCode ?? defaults.status;
  const message = error.message ?? defaults.message;
  const template =
    configured?.responseTemplates["application/json"] ?? '{"message":$context.error.messageString}';
  const { output } = evaluateMappingTemplate(template, {
    context: {
      ...context,
      error: {
        message,
        messageString: JSON.stringify(message),
        responseType: type,
        validationErrorString: error.validationErrorString ?? "",
      },
    },
  });
  return {
    status,
    headers: {
      "content-type": "application/json",
      ...staticHeaders(configured?.responseParameters ?? {}),
    },
    body: output,
  };
}

/** The static (quoted) header values of a set of `…header.<name>` parameters. */
export function staticHeaders(parameters: Record<string, string>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(parameters)) {
    const name = /^(?:method|gatewayresponse|integration)\.(?:response|request)\.header\.(.+)$/.exec(
      key,
    )?.[1];
    if (name && /^'.*'$/.test(value)) headers[name.toLowerCase()] = value.slice(1, -1);
  }
  return headers;
}
