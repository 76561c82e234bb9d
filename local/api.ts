/**
 * The REST API as the synthesized template defines it: each method's path, authorizer, request model,
 * request mapping templates, SQS integration and integration responses, plus the gateway responses. The
 * ingress stand-in serves exactly this, so it cannot drift from what API Gateway is given.
 */
import { apiGatewayIntegrationTimeoutMs } from "./aws-limits.ts";
import { type CfnTemplate, type LocalNames, referencedIds, resolve, resourcesOfType } from "./template.ts";

export interface IntegrationResponse {
  readonly statusCode: number;
  /** A regex matched against the integration's HTTP status; none = the default response. */
  readonly selectionPattern?: string;
  readonly responseTemplates: Record<string, string>;
  readonly responseParameters: Record<string, string>;
}

export interface ApiMethod {
  readonly logicalId: string;
  /** Path under the stage root, e.g. `/webhooks/order-shipped-email`. */
  readonly path: string;
  readonly httpMethod: string;
  readonly authorizationType: string;
  /** Content type → JSON schema (draft 4), when the method validates bodies. */
  readonly requestModels: Record<string, Record<string, unknown>>;
  readonly validateBody: boolean;
  readonly requestTemplates: Record<string, string>;
  readonly passthroughBehavior: string;
  /** The integration URI, resolved (e.g. `arn:aws:apigateway:eu-west-1:sqs:path/000000000000/<queue>`). */
  readonly integrationUri: string;
  readonly integrationRequestParameters: Record<string, string>;
  /** API Gateway's integration time-out: the template's TimeoutInMillis, else the default 29 s. */
  readonly integrationTimeoutMs: number;
  readonly integrationResponses: readonly IntegrationResponse[];
}

export interface ApiAuthorizer {
  readonly type: "TOKEN" | "REQUEST";
  /** The function's logical id. */
  readonly functionLogicalId: string;
  /** e.g. `method.request.header.X-Auth-Token`; several are comma-separated. */
  readonly identitySource: readonly string[];
  readonly resultTtlSeconds: number;
}

export interface GatewayResponse {
  readonly statusCode?: number;
  readonly responseTemplates: Record<string, string>;
  readonly responseParameters: Record<string, string>;
}

export interface RestApi {
  readonly stageName: string;
  readonly methods: readonly ApiMethod[];
  readonly authorizer: ApiAuthorizer | undefined;
  /** By ResponseType (UNAUTHORIZED, BAD_REQUEST_BODY, DEFAULT_4XX, …). */
  readonly gatewayResponses: ReadonlyMap<string, GatewayResponse>;
}

const record = (value: unknown): Record<string, unknown> =>
  typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};

const strings = (value: unknown, names: LocalNames): Record<string, string> =>
  Object.fromEntries(
    Object.entries(record(resolve(value ?? {}, names))).map(([key, item]) => [key, String(item)]),
  );

/** Reads the template's one REST API. */
export function readRestApi(template: CfnTemplate, names: LocalNames): RestApi {
  const [api, ...others] = resourcesOfType(template, "AWS::ApiGateway::RestApi");
  if (!api || others.length > 0) throw new Error("expected one AWS::ApiGateway::RestApi in the template");
  const resources = new Map(resourcesOfType(template, "AWS::ApiGateway::Resource"));
  const pathOf = (resourceRef: unknown): string => {
    const [id] = referencedIds(resourceRef);
    const resource = id ? resources.get(id) : undefined;
    if (!resource) return ""; // the RestApi's root resource
    const properties = record(resource.Properties);
    return `${pathOf(properties.ParentId)}/${String(properties.PathPart)}`;
  };

  const validators = new Map(resourcesOfType(template, "AWS::ApiGateway::RequestValidator"));
  const models = new Map(resourcesOfType(template, "AWS::ApiGateway::Model"));
  const methods = resourcesOfType(template, "AWS::ApiGateway::Method")
    .filter(([, method]) => method.Properties?.HttpMethod !== "OPTIONS")
    .map(([logicalId, method]): ApiMethod => {
      const properties = record(method.Properties);
      const integration = record(properties.Integration);
      const [validatorId] = referencedIds(properties.RequestValidatorId);
      const validator = validatorId ? record(validators.get(validatorId)?.Properties) : {};
      const requestModels: Record<string, Record<string, unknown>> = {};
      for (const [contentType, modelRef] of Object.entries(record(properties.RequestModels))) {
        const [modelId] = referencedIds(modelRef);
        const schema = modelId ? record(models.get(modelId)?.Properties).Schema : undefined;
        if (schema) requestModels[contentType] = record(schema);
      }
      return {
        logicalId,
        path: pathOf(properties.ResourceId) || "/",
        httpMethod: String(properties.HttpMethod),
        authorizationType: String(properties.AuthorizationType ?? "NONE"),
        requestModels,
        validateBody: validator.ValidateRequestBody === true,
        requestTemplates: strings(integration.RequestTemplates, names),
        passthroughBehavior: String(integration.PassthroughBehavior ?? "WHEN_NO_MATCH"),
        integrationUri: String(resolve(integration.Uri ?? "", names)),
        integrationRequestParameters: strings(integration.RequestParameters, names),
        integrationTimeoutMs: Number(integration.TimeoutInMillis ?? apiGatewayIntegrationTimeoutMs),
        integrationResponses: ((integration.IntegrationResponses as unknown[]) ?? []).map((item) => {
          const response = record(item);
          return {
            statusCode: Number(response.StatusCode),
            ...(response.SelectionPattern ? { selectionPattern: String(response.SelectionPattern) } : {}),
            responseTemplates: strings(response.ResponseTemplates, names),
            responseParameters: strings(response.ResponseParameters, names),
          };
        }),
      };
    });

  const [authorizerEntry] = resourcesOfType(template, "AWS::ApiGateway::Authorizer");
  const authorizerProperties = record(authorizerEntry?.[1].Properties);
  const [functionLogicalId] = referencedIds(authorizerProperties.AuthorizerUri).filter(
    (id) => template.Resources[id]?.Type === "AWS::Lambda::Function",
  );
  const authorizer: ApiAuthorizer | undefined =
    authorizerEntry && functionLogicalId
      ? {
          type: authorizerProperties.Type === "TOKEN" ? "TOKEN" : "REQUEST",
          functionLogicalId,
          identitySource: String(authorizerProperties.IdentitySource ?? "")
            .split(",")
            .map((source) => source.trim())
            .filter(Boolean),
          resultTtlSeconds: Number(authorizerProperties.AuthorizerResultTtlInSeconds ?? 300),
        }
      : undefined;

  const gatewayResponses = new Map<string, GatewayResponse>();
  for (const [, resource] of resourcesOfType(template, "AWS::ApiGateway::GatewayResponse")) {
    const properties = record(resource.Properties);
    gatewayResponses.set(String(properties.ResponseType), {
      ...(properties.StatusCode ? { statusCode: Number(properties.StatusCode) } : {}),
      responseTemplates: strings(properties.ResponseTemplates, names),
      responseParameters: strings(properties.ResponseParameters, names),
    });
  }

  const [stage] = resourcesOfType(template, "AWS::ApiGateway::Stage");
  const stageName = String(stage?.[1].Properties?.StageName ?? "prod");
  return { stageName, methods, authorizer, gatewayResponses };
}
