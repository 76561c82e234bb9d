/**
 * The webhook ingress: API Gateway (REST) → SQS by a direct service integration, no Lambda on the way in.
 * POST only, one route per entry of the route table, each validated against a model generated from its zod
 * schema, authorized by the token authorizer, and answered with JSON whatever happens.
 */
import { Aws, Duration, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import * as apigw from "aws-cdk-lib/aws-apigateway";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { type Route, routeUrlPath, type UseCase } from "../functions/shared/contract/routes.ts";
import { requestModel } from "../functions/shared/contract/webhook-schemas.ts";
import {
  acceptedTemplate,
  clientErrorTemplate,
  sendMessageTemplate,
  serverErrorTemplate,
} from "./ingress-templates.ts";
import { tagResource } from "./metadata.ts";
import { pascal } from "./stack/naming.ts";
import { WebhookFirewall, type WebhookFirewallOptions } from "./webhook-firewall.ts";

export interface WebhookIngressProps {
  readonly routes: readonly Route[];
  /** The queue each use-case's webhooks go to. */
  readonly queues: Readonly<Record<UseCase, sqs.IQueue>>;
  readonly authorizerFunction: lambda.IFunction;
  /** Header the token comes in; the authorizer's identity source when caching. @default "X-Auth-Token" */
  readonly tokenHeaderName?: string;
  /** Seconds API Gateway caches the authorizer's answer; 0 turns caching (and the identity source) off. @default 300 */
  readonly authorizerCacheTtlSeconds?: number;
  /** Largest accepted body in characters; larger is answered 413. @default 65536 */
  readonly maxBodyChars?: number;
  /** @default 50 */
  readonly throttlingRateLimit?: number;
  /** @default 100 */
  readonly throttlingBurstLimit?: number;
  /** X-Ray tracing on the stage. @default false */
  readonly tracing?: boolean;
  /**
   * Create and register the account-wide API Gateway CloudWatch role (retained on delete); with it the stage also
   * writes execution logs at ERROR level (never bodies). @default true
   */
  readonly cloudWatchRole?: boolean;
  /** @default 30 */
  readonly logRetentionDays?: number;
  /** @default "v1" */
  readonly stageName?: string;
  /** An AWS WAF web ACL on the stage (rate limit per source IP, body size); undefined: none. @default none */
  readonly firewall?: WebhookFirewallOptions;
}

/**
 * One JSON access-log line per request: who, what, outcome, timings, and why a body was refused (the validation
 * detail the 400 answer leaves out); never bodies or the token. Free text is either pre-quoted by API Gateway
 * (`messageString`) or a quoted field API Gateway escapes, so the line parses whatever the request held.
 */
export const accessLogFields: Readonly<Record<string, string>> = {
  requestId: '"$context.requestId"',
  requestTime: '"$context.requestTimeEpoch"',
  sourceIp: '"$context.identity.sourceIp"',
  userAgent: '"$context.identity.userAgent"',
  httpMethod: '"$context.httpMethod"',
  resourcePath: '"$context.resourcePath"',
  status: '"$context.status"',
  responseLength: '"$context.responseLength"',
  responseLatency: '"$context.responseLatency"',
  integrationStatus: '"$context.integration.status"',
  integrationLatency: '"$context.integration.latency"',
  authorizerStatus: '"$context.authorizer.status"',
  authorizerError: '"$context.authorizer.error"',
  denial: '"$context.authorizer.denial"',
  wafResponseCode: '"$context.wafResponseCode"',
  errorType: '"$context.error.responseType"',
  errorMessage: "$context.error.messageString",
  validationError: '"$context.error.validationErrorString"',
};

const accessLogFormat = `{${Object.entries(accessLogFields)
  .map(([key, value]) => `"${key}":${value}`)
  .join(",")}}`;

/** What every route shares: the authorizer, the body validator, the role that sends to SQS, the answer models. */
interface RouteParts {
  readonly webhooks: apigw.IResource;
  readonly authorizer: apigw.IAuthorizer;
  readonly validator: apigw.IRequestValidator;
  readonly integrationRole: iam.IRole;
  readonly errorModel: apigw.IModel;
  readonly acceptedModel: apigw.IModel;
  readonly maxBodyChars: number;
}

export class WebhookIngress extends Construct {
  readonly api: apigw.RestApi;
  readonly accessLogGroup: logs.LogGroup;
  /** The web ACL on the stage, when `firewall` is given. */
  readonly firewall: WebhookFirewall | undefined;
  /** Full URL of each route, by route path. */
  readonly routeUrls: Record<string, string> = {};

  constructor(scope: Construct, id: string, props: WebhookIngressProps) {
    super(scope, id);
    const cacheTtl = props.authorizerCacheTtlSeconds ?? 300;
    const maxBodyChars = props.maxBodyChars ?? 65_536;
    const headerName = props.tokenHeaderName ?? "X-Auth-Token";
    if (!Number.isInteger(maxBodyChars) || maxBodyChars < 1) {
      throw new Error(`${this.node.path}: maxBodyChars must be a positive whole number, got ${maxBodyChars}`);
    }
    if (!Number.isInteger(cacheTtl) || cacheTtl < 0 || cacheTtl > 3600) {
      throw new Error(`${this.node.path}: authorizerCacheTtlSeconds must be 0–3600, got ${cacheTtl}`);
    }

    this.accessLogGroup = new logs.LogGroup(this, "AccessLogs", {
      retention: (props.logRetentionDays ?? 30) as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.api = this.restApi(props, this.accessLogGroup);
    this.firewall = this.protect(this.api, props);

    const authorizer = new apigw.RequestAuthorizer(this, "TokenAuthorizer", {
      handler: props.authorizerFunction,
      // API Gateway caches only by identity sources, and answers 401 itself when one is missing.
      identitySources: cacheTtl > 0 ? [apigw.IdentitySource.header(headerName)] : [],
      resultsCacheTtl: Duration.seconds(cacheTtl),
    });

    const validator = this.api.addRequestValidator("BodyValidator", {
      requestValidatorName: "body",
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const integrationRole = new iam.Role(this, "SendMessageRole", {
      assumedBy: new iam.ServicePrincipal("apigateway.amazonaws.com"),
      description: "Lets the webhook API put webhooks on their queues",
    });
    this.addGatewayResponses(maxBodyChars);
    const { errorModel, acceptedModel } = this.answerModels(this.api);

    const webhooks = this.api.root.addResource("webhooks");
    const shared: RouteParts = {
      webhooks,
      authorizer,
      validator,
      integrationRole,
      errorModel,
      acceptedModel,
      maxBodyChars,
    };
    for (const route of props.routes) this.addRoute(route, props.queues[route.useCase], shared);
  }

  /** The REST API and its stage: regional, throttled, JSON access logs, execution logs when the account role is set. */
  private restApi(props: WebhookIngressProps, accessLogGroup: logs.ILogGroup): apigw.RestApi {
    const stageName = props.stageName ?? "v1";
    const cloudWatchRole = props.cloudWatchRole ?? true;
    const api = new apigw.RestApi(this, "Api", {
      restApiName: `${Stack.of(this).stackName}-webhooks`,
      description: "Ongoing WMS webhooks → SQS",
      endpointTypes: [apigw.EndpointType.REGIONAL],
      cloudWatchRole,
      ...(cloudWatchRole ? { cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN } : {}),
      deployOptions: {
        ...(cloudWatchRole ? { loggingLevel: apigw.MethodLoggingLevel.ERROR, dataTraceEnabled: false } : {}),
        stageName,
        throttlingRateLimit: props.throttlingRateLimit ?? 50,
        throttlingBurstLimit: props.throttlingBurstLimit ?? 100,
        tracingEnabled: props.tracing ?? false,
        metricsEnabled: true,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogGroup),
        accessLogFormat: apigw.AccessLogFormat.custom(accessLogFormat),
      },
    });
    tagResource(api, { kind: "api" });
    return api;
  }

  /** The WAF on the stage when configured, and cdk-nag's findings this design answers otherwise. */
  private protect(api: apigw.RestApi, props: WebhookIngressProps): WebhookFirewall | undefined {
    const cloudWatchRole = props.cloudWatchRole ?? true;
    let firewall: WebhookFirewall | undefined;
    if (props.firewall) {
      firewall = new WebhookFirewall(this, "Firewall", {
        ...props.firewall,
        stage: api.deploymentStage,
      });
    } else {
      Validations.of(api.deploymentStage).acknowledge({
        id: "AwsSolutions::AwsSolutions-APIG3",
        reason:
          "ingress.waf is off (its default, to save its monthly cost): every route needs the token authorizer and each method is throttled",
      });
    }
    const accountRole = api.node.tryFindChild("CloudWatchRole");
    if (accountRole) {
      Validations.of(accountRole).acknowledge({
        id: "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
        reason:
          "AWS's own policy for API Gateway's account-wide logging role: exactly the log permissions it needs",
      });
    }
    if (!cloudWatchRole) {
      Validations.of(api.deploymentStage).acknowledge({
        id: "AwsSolutions::AwsSolutions-APIG6",
        reason:
          "ingress.cloudWatchRole is off: execution logs need the account's own API Gateway CloudWatch role; JSON access logs and metrics are on",
      });
    }

    return firewall;
  }

  /** The JSON models of the answers: an error, and the accepted webhook's message id. */
  private answerModels(api: apigw.RestApi): { errorModel: apigw.Model; acceptedModel: apigw.Model } {
    const errorModel = api.addModel("ErrorModel", {
      contentType: "application/json",
      modelName: "WebhookError",
      schema: {
        type: apigw.JsonSchemaType.OBJECT,
        properties: {
          message: { type: apigw.JsonSchemaType.STRING },
          requestId: { type: apigw.JsonSchemaType.STRING },
        },
      },
    });
    const acceptedModel = api.addModel("AcceptedModel", {
      contentType: "application/json",
      modelName: "WebhookAccepted",
      schema: {
        type: apigw.JsonSchemaType.OBJECT,
        properties: { messageId: { type: apigw.JsonSchemaType.STRING } },
        required: ["messageId"],
      },
    });

    return { errorModel, acceptedModel };
  }

  /** POST /webhooks/<path>: validated against the route's model, then sent to its use-case's queue. */
  private addRoute(route: Route, queue: sqs.IQueue, shared: RouteParts): void {
    queue.grantSendMessages(shared.integrationRole);
    const model = this.api.addModel(`${pascal(route.path)}Model`, {
      contentType: "application/json",
      modelName: `${pascal(route.path)}Webhook`,
      schema: requestModel(route.schema) as apigw.JsonSchema,
    });
    const integration = new apigw.AwsIntegration({
      service: "sqs",
      path: `${Aws.ACCOUNT_ID}/${queue.queueName}`,
      integrationHttpMethod: "POST",
      options: {
        credentialsRole: shared.integrationRole,
        passthroughBehavior: apigw.PassthroughBehavior.NEVER,
        requestParameters: {
          "integration.request.header.Content-Type": "'application/x-www-form-urlencoded'",
          "integration.request.header.Accept": "'application/json'",
        },
        requestTemplates: { "application/json": sendMessageTemplate(route, shared.maxBodyChars) },
        // For AWS integrations the selection pattern is matched against SQS's HTTP status.
        integrationResponses: [
          {
            selectionPattern: "2\\d{2}",
            statusCode: "202",
            responseTemplates: { "application/json": acceptedTemplate },
          },
          {
            selectionPattern: "400",
            statusCode: "500",
            responseTemplates: { "application/json": clientErrorTemplate(shared.maxBodyChars) },
          },
          { statusCode: "500", responseTemplates: { "application/json": serverErrorTemplate } },
        ],
      },
    });
    const method = shared.webhooks.addResource(route.path).addMethod("POST", integration, {
      authorizer: shared.authorizer,
      authorizationType: apigw.AuthorizationType.CUSTOM,
      requestValidator: shared.validator,
      requestModels: { "application/json": model },
      operationName: `receive-${route.path}`,
      methodResponses: [
        { statusCode: "202", responseModels: { "application/json": shared.acceptedModel } },
        { statusCode: "413", responseModels: { "application/json": shared.errorModel } },
        { statusCode: "500", responseModels: { "application/json": shared.errorModel } },
      ],
    });
    Validations.of(method).acknowledge({
      id: "AwsSolutions::AwsSolutions-COG4",
      reason:
        "Ongoing WMS authenticates with a shared token header, not Cognito: the Lambda token authorizer checks it",
    });
    tagResource(method, {
      kind: "route",
      useCase: route.useCase,
      eventType: route.eventType,
      routePath: routeUrlPath(route),
    });
    this.routeUrls[route.path] = this.api.urlForPath(routeUrlPath(route));
  }

  /** JSON bodies for everything API Gateway answers by itself. */
  private addGatewayResponses(maxBodyChars: number): void {
    const json = (body: Record<string, string>) =>
      `{${Object.entries(body)
        .map(([key, value]) => `"${key}":${value}`)
        .join(",")},"requestId":"$context.requestId"}`;
    const responses: [string, apigw.ResponseType, string, string][] = [
      ["Unauthorized", apigw.ResponseType.UNAUTHORIZED, "401", json({ message: '"Missing webhook token"' })],
      [
        "AccessDenied",
        apigw.ResponseType.ACCESS_DENIED,
        "403",
        // The authorizer's Deny says why: missing-token (without the cache, e.g. Basic auth) or invalid-token.
        json({ message: '"Missing or invalid webhook token"', reason: '"$context.authorizer.denial"' }),
      ],
      [
        "BadRequestBody",
        apigw.ResponseType.BAD_REQUEST_BODY,
        "400",
        // Gateway responses substitute variables without escaping, and validation messages contain quotes:
        // only the pre-quoted messageString keeps the body valid JSON. The details are in the access log.
        json({
          message: "$context.error.messageString",
          expected:
            '"an Ongoing webhook payload: integer webhookEventId, goodsOwnerId and orderId or articleSystemId (a transport status event: eventId, goodsOwnerId, orderId, eventTime, eventType, transportStatus)"',
        }),
      ],
      [
        "UnsupportedMediaType",
        apigw.ResponseType.UNSUPPORTED_MEDIA_TYPE,
        "415",
        json({ message: '"Content-Type must be application/json"' }),
      ],
      [
        "RequestTooLarge",
        apigw.ResponseType.REQUEST_TOO_LARGE,
        "413",
        json({ message: `"Payload too large: at most ${maxBodyChars} characters"` }),
      ],
      ["Default4xx", apigw.ResponseType.DEFAULT_4XX, "", json({ message: "$context.error.messageString" })],
      ["Default5xx", apigw.ResponseType.DEFAULT_5XX, "", json({ message: "$context.error.messageString" })],
    ];
    for (const [id, type, statusCode, template] of responses) {
      this.api.addGatewayResponse(id, {
        type,
        ...(statusCode ? { statusCode } : {}),
        templates: { "application/json": template },
      });
    }
  }
}
