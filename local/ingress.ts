/**
 * The ingress stand-in: answers the REST API's routes the way API Gateway does with the synthesized template.
 * It runs the real authorizer (its bundle, in its own process), validates bodies against the template's
 * models (JSON schema draft 4), evaluates the template's request mapping templates, sends the resulting SQS
 * query-protocol call to the local SQS, and answers through the template's integration responses and gateway
 * responses.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import type { ValidateFunction } from "ajv";
import type { ApiMethod, IntegrationResponse, RestApi } from "./api.ts";
import { evaluateMappingTemplate } from "./api-gateway-vtl.ts";
import { apiGatewayMaxPayloadBytes } from "./aws-limits.ts";
import {
  type GatewayError,
  gatewayResponse as gatewayResponseOf,
  staticHeaders,
} from "./gateway-responses.ts";
import { authorizerStep } from "./ingress-authorizer.ts";

// ajv-draft-04 is CommonJS whose default export is the class itself.
const Ajv = createRequire(import.meta.url)("ajv-draft-04") as typeof import("ajv-draft-04").default;

export interface IngressOptions {
  readonly api: RestApi;
  /** Invokes the authorizer function; rejects with the function's error. */
  readonly invokeAuthorizer?: (event: unknown) => Promise<unknown>;
  /** The local SQS the integrations call, as API Gateway calls SQS's regional endpoint. */
  readonly sqsEndpoint: string;
  /** Overrides each integration's time-out (tests). @default the template's TimeoutInMillis, else 29 s */
  readonly integrationTimeoutMs?: number;
  readonly region: string;
  readonly accountId: string;
  /** Requests the API does not answer (the local stack's `/_local` pages); return false to fall through. */
  readonly extraRoutes?: (
    request: IncomingMessage,
    response: ServerResponse,
    body: Buffer,
  ) => Promise<boolean>;
  readonly onError?: (error: unknown) => void;
}

export interface Ingress {
  readonly url: string;
  handle(request: IngressRequest): Promise<IngressResponse>;
  stop(): Promise<void>;
}

export interface IngressRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  readonly sourceIp?: string;
}

export interface IngressResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

const mediaType = (contentType: string | undefined) =>
  (contentType ?? "application/json").split(";")[0]?.trim().toLowerCase() || "application/json";

interface SqsCall {
  readonly status: number;
  readonly body: string;
}

/**
 * The AWS integration, as API Gateway performs it: POSTs the mapped body to the service path the integration URI
 * names (`…:sqs:path/<account>/<queue>`) with the integration's static headers, and takes SQS's answer as is. An
 * answer later than the integration's time-out is API Gateway's INTEGRATION_TIMEOUT.
 */
async function integrate(
  method: ApiMethod,
  mapped: string,
  options: IngressOptions,
): Promise<SqsCall | "timeout" | "failure"> {
  const servicePath = /:sqs:path\/(.+)$/.exec(method.integrationUri)?.[1] ?? "";
  try {
    const answer = await fetch(`${options.sqsEndpoint}/${servicePath}`, {
      method: "POST",
      headers: staticHeaders(method.integrationRequestParameters),
      body: mapped,
      signal: AbortSignal.timeout(options.integrationTimeoutMs ?? method.integrationTimeoutMs),
    });
    return { status: answer.status, body: await answer.text() };
  } catch (error) {
    options.onError?.(error);
    return (error as Error).name === "TimeoutError" ? "timeout" : "failure";
  }
}

/** Builds the ingress's request handling over an API read from the template (no server). */
export function ingressHandler(
  options: IngressOptions,
): (request: IngressRequest) => Promise<IngressResponse> {
  const { api } = options;
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validators = new Map(
    api.methods.map((method) => [
      method,
      new Map(Object.entries(method.requestModels).map(([type, schema]) => [type, ajv.compile(schema)])),
    ]),
  );
  const apiId = "local";
  const authorize = authorizerStep({ ...options, apiId });

  return async (request) => {
    const headers = request.headers;
    const header = (name: string) =>
      Object.entries(headers).find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];
    const context = requestContext(request, options, apiId, header("user-agent"));
    const gatewayResponse = (type: string, error?: GatewayError) =>
      gatewayResponseOf(api, context, type, error);

    if (request.body.length > apiGatewayMaxPayloadBytes) return gatewayResponse("REQUEST_TOO_LARGE");
    const method = api.methods.find(
      (candidate) => candidate.path === request.path && candidate.httpMethod === request.method,
    );
    if (!method) return gatewayResponse("MISSING_AUTHENTICATION_TOKEN");
    const body = request.body.toString("utf8");
    context.resourcePath = method.path;
    const refused = await authorize({ method, path: request.path, headers, header, context });
    if (refused) return gatewayResponse(refused);

    const contentType = mediaType(header("content-type"));
    const invalid = validateBody(method, validators.get(method), contentType, body);
    if (invalid) return gatewayResponse("BAD_REQUEST_BODY", { validationErrorString: invalid });
    const requestTemplate = method.requestTemplates[contentType];
    if (requestTemplate === undefined && method.passthroughBehavior !== "WHEN_NO_MATCH") {
      return gatewayResponse("UNSUPPORTED_MEDIA_TYPE");
    }
    const mapped =
      requestTemplate === undefined
        ? body
        : evaluateMappingTemplate(requestTemplate, { body, headers, context }).output;
    const sqsCall = await integrate(method, mapped, options);
    if (sqsCall === "timeout") return gatewayResponse("INTEGRATION_TIMEOUT");
    if (sqsCall === "failure") return gatewayResponse("INTEGRATION_FAILURE");
    return integrationAnswer(method, sqsCall, { ...context }, header("accept"));
  };
}

/** The request context the mapping templates see as `$context`. */
function requestContext(
  request: IngressRequest,
  options: IngressOptions,
  apiId: string,
  userAgent: string | undefined,
): Record<string, unknown> {
  const requestId = randomUUID();
  return {
    requestId,
    extendedRequestId: requestId,
    requestTimeEpoch: Date.now(),
    httpMethod: request.method,
    stage: options.api.stageName,
    accountId: options.accountId,
    apiId,
    path: `/${options.api.stageName}${request.path}`,
    identity: { sourceIp: request.sourceIp ?? "127.0.0.1", userAgent: userAgent ?? "" },
    authorizer: {},
  };
}

/** The request validator's verdict on the body: undefined when valid, else API Gateway's error string. */
function validateBody(
  method: ApiMethod,
  validators: Map<string, ValidateFunction> | undefined,
  contentType: string,
  body: string,
): string | undefined {
  if (!method.validateBody) return undefined;
  const validate = validators?.get(contentType) ?? validators?.get("$default");
  if (!validate) return undefined;
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch {
    return "[Invalid input: not JSON]";
  }
  if (validate(document)) return undefined;
  const problems = (validate.errors ?? []).map(
    (problem) => `${problem.instancePath || "/"} ${problem.message}`,
  );
  return `[${problems.join(", ")}]`;
}

function integrationAnswer(
  method: ApiMethod,
  call: SqsCall,
  context: Record<string, unknown>,
  accept: string | undefined,
): IngressResponse {
  const status = String(call.status);
  const selected: IntegrationResponse | undefined =
    method.integrationResponses.find(
      (response) => response.selectionPattern && new RegExp(`^${response.selectionPattern}$`).test(status),
    ) ?? method.integrationResponses.find((response) => !response.selectionPattern);
  if (!selected) {
    return {
      status: 500,
      headers: { "content-type": "application/json" },
      body: '{"message": "Internal server error"}',
    };
  }
  const types = Object.keys(selected.responseTemplates);
  const type = types.find((candidate) => mediaType(accept) === candidate) ?? types[0] ?? "application/json";
  const template = selected.responseTemplates[type];
  const evaluated =
    template === undefined ? undefined : evaluateMappingTemplate(template, { body: call.body, context });
  return {
    status: evaluated?.responseOverride.status ?? selected.statusCode,
    headers: {
      "content-type": type,
      ...staticHeaders(selected.responseParameters),
      ...(evaluated?.responseOverride.header ?? {}),
    },
    body: evaluated?.output ?? call.body,
  };
}

function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      // Past the limit the rest is counted, not kept: the answer is 413 whatever it holds.
      if (size <= limit + 1) chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

/** Starts the ingress on a port (0 = a free one). */
export async function startIngress(
  options: IngressOptions & { host: string; port: number },
): Promise<Ingress> {
  const handle = ingressHandler(options);
  const server: Server = createServer((request, response) => {
    void (async () => {
      try {
        const body = await readBody(request, apiGatewayMaxPayloadBytes);
        if (options.extraRoutes && (await options.extraRoutes(request, response, body))) return;
        const path = new URL(request.url ?? "/", "http://local").pathname;
        const headers = Object.fromEntries(
          Object.entries(request.headers).map(([key, value]) => [
            key,
            Array.isArray(value) ? value.join(",") : (value ?? ""),
          ]),
        );
        const answer = await handle({
          method: request.method ?? "GET",
          path,
          headers,
          body,
          sourceIp: request.socket.remoteAddress ?? "127.0.0.1",
        });
        response.writeHead(answer.status, answer.headers);
        response.end(answer.body);
      } catch (error) {
        options.onError?.(error);
        if (!response.headersSent) response.writeHead(500, { "content-type": "application/json" });
        response.end('{"message": "Internal server error"}');
      }
    })();
  });
  await listen(server, options.port, options.host);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host}:${port}`,
    handle,
    stop: () =>
      new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Listens, turning "address in use" into a one-line error naming the port. */
export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}
