/**
 * The ingress's Lambda authorizer step, as API Gateway runs it: the identity sources, the TOKEN or REQUEST event,
 * the result cache (per identity, for the authorizer's TTL) and the returned policy's verdict for the method.
 */
import type { APIGatewayAuthorizerResult } from "aws-lambda";
import type { ApiMethod, RestApi } from "./api.ts";

/** Whether an IAM-style resource pattern (`*`, `?`) matches an ARN. */
function arnMatches(pattern: string, arn: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${regex}$`).test(arn);
}

function policyAllows(result: APIGatewayAuthorizerResult, methodArn: string): boolean {
  const statements = result.policyDocument?.Statement ?? [];
  const matching = statements.filter((statement) => {
    const resources = "Resource" in statement ? statement.Resource : [];
    const list = Array.isArray(resources) ? resources : [resources];
    const actions = "Action" in statement ? statement.Action : [];
    const actionList = Array.isArray(actions) ? actions : [actions];
    return (
      actionList.some((action) => arnMatches(String(action), "execute-api:Invoke")) &&
      list.some((resource) => arnMatches(String(resource), methodArn))
    );
  });
  if (matching.some((statement) => statement.Effect === "Deny")) return false;
  return matching.some((statement) => statement.Effect === "Allow");
}

export interface AuthorizerRequest {
  readonly method: ApiMethod;
  readonly path: string;
  readonly headers: Record<string, string>;
  header(name: string): string | undefined;
  /** The request context; its `authorizer` is set from the result. */
  readonly context: Record<string, unknown>;
}

/** The gateway response type that refuses the request, or undefined when the authorizer allows it. */
export type Authorize = (request: AuthorizerRequest) => Promise<string | undefined>;

export function authorizerStep(options: {
  api: RestApi;
  region: string;
  accountId: string;
  apiId: string;
  invokeAuthorizer?: ((event: unknown) => Promise<unknown>) | undefined;
  onError?: ((error: unknown) => void) | undefined;
}): Authorize {
  const { api } = options;
  const cache = new Map<string, { until: number; result: APIGatewayAuthorizerResult }>();
  return async ({ method, path, headers, header, context }) => {
    const authorizer = api.authorizer;
    if (method.authorizationType !== "CUSTOM" || !authorizer) return undefined;
    const identity = authorizer.identitySource.map((source) =>
      header(source.replace(/^method\.request\.header\./, "")),
    );
    if (identity.some((value) => value === undefined || value === "")) return "UNAUTHORIZED";
    const methodArn = `arn:aws:execute-api:${options.region}:${options.accountId}:${options.apiId}/${api.stageName}/${method.httpMethod}${method.path}`;
    const cacheKey = identity.join("\u0000");
    let result = authorizer.resultTtlSeconds > 0 ? cache.get(cacheKey) : undefined;
    if (!result || result.until < Date.now()) {
      const event =
        authorizer.type === "TOKEN"
          ? { type: "TOKEN", authorizationToken: identity[0], methodArn }
          : {
              type: "REQUEST",
              methodArn,
              resource: method.path,
              path,
              httpMethod: method.httpMethod,
              headers,
              multiValueHeaders: Object.fromEntries(
                Object.entries(headers).map(([key, value]) => [key, [value]]),
              ),
              queryStringParameters: {},
              multiValueQueryStringParameters: {},
              pathParameters: {},
              stageVariables: {},
              requestContext: { ...context, resourceId: method.logicalId, resourcePath: method.path },
            };
      try {
        const answer = (await options.invokeAuthorizer?.(event)) as APIGatewayAuthorizerResult;
        result = { until: Date.now() + authorizer.resultTtlSeconds * 1000, result: answer };
        if (authorizer.resultTtlSeconds > 0) cache.set(cacheKey, result);
      } catch (error) {
        if ((error as Error).message === "Unauthorized") return "UNAUTHORIZED";
        options.onError?.(error);
        return "AUTHORIZER_FAILURE";
      }
    }
    // Set first: a Deny's context is what the ACCESS_DENIED answer tells the caller.
    context.authorizer = { principalId: result.result.principalId, ...(result.result.context ?? {}) };
    return policyAllows(result.result, methodArn) ? undefined : "ACCESS_DENIED";
  };
}
