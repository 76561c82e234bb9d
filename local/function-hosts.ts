/**
 * The template's functions, each in its own process (function-host.ts): the template's environment, resolved,
 * with endpoints pointed at the local services and the secrets they name put into the local Secrets Manager.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  defaultAutomationUsers,
  defaultOAuthClients,
  defaultUsers as ongoingUsers,
} from "../simulators/ongoing/server.ts";
import { localCredentials, region } from "./account.ts";
import { checkLambdaEnvironment, deployedNames } from "./aws-limits.ts";
import type { FunctionHostConfig } from "./function-host.ts";
import { type LocalFunction, type LogSink, startFunction } from "./functions.ts";
import type { LocalNameTable } from "./local-names.ts";
import { type LocalServices, nshiftApiKey, transportAuthValue } from "./services.ts";
import type { LocalDefaults } from "./settings.ts";
import type { Stoppers } from "./stoppers.ts";
import {
  type Assembly,
  type CfnResource,
  type LocalNames,
  metadataOf,
  record,
  referencedIds,
  resolve,
  resourcesOfType,
} from "./template.ts";

/** The function kinds the local stack runs. */
const hostedKinds = ["consumer", "authorizer", "reconcile", "mail-events", "breaker-probe"];

export interface FunctionHostsOptions {
  readonly assembly: Assembly;
  readonly localNames: LocalNameTable;
  readonly services: LocalServices;
  readonly defaults: LocalDefaults;
  readonly stoppers: Stoppers;
  /** Run the SQS event sources. */
  readonly consumers: boolean;
  readonly log?: LogSink | undefined;
  readonly ongoingAuth?: "basic" | "oauth" | undefined;
  readonly probeIntervalMs?: number | undefined;
  readonly functionEnvironment?: Record<string, string> | undefined;
}

export interface FunctionHosts {
  /** Running functions by logical id. */
  readonly functions: ReadonlyMap<string, LocalFunction>;
  /** The template's functions the stack runs, by logical id. */
  readonly entries: readonly [string, CfnResource][];
  /** The logical id of the function of a kind (`reconcile`, `breaker-probe`, `authorizer`, …). */
  byKind(kind: string): string | undefined;
}

export async function startFunctionHosts(options: FunctionHostsOptions): Promise<FunctionHosts> {
  const { assembly, localNames } = options;
  const { template } = assembly;
  const entries = resourcesOfType(template, "AWS::Lambda::Function").filter(([, resource]) =>
    hostedKinds.includes(metadataOf(resource)?.kind ?? ""),
  );
  // With the names and URLs a deployment gives, before any function starts: Lambda would refuse it.
  const deployed = deployedNames(template, assembly.stackName, region);
  for (const [id, resource] of entries)
    checkLambdaEnvironment(String(localNames.functionNames.get(id)), templateEnvironment(resource, deployed));
  const context = { ...options, credentials: credentialsFor(options), overrides: overridesFor(options) };
  const functions = new Map<string, LocalFunction>();
  await Promise.all(
    entries.map(async ([id, resource]) => {
      functions.set(id, await startOne(id, resource, context));
    }),
  );
  return {
    functions,
    entries,
    byKind: (kind) => entries.find(([, resource]) => metadataOf(resource)?.kind === kind)?.[0],
  };
}

type HostContext = FunctionHostsOptions & {
  credentials: ReturnType<typeof credentialsFor>;
  overrides: Record<string, string>;
};

/** What the functions log in to Ongoing with: the simulator's users, or the external Ongoing's one login. */
function credentialsFor({ defaults, services, ongoingAuth }: FunctionHostsOptions) {
  const ongoingUser =
    ongoingUsers.find((user) => user.goodsOwnerId === defaults.goodsOwnerId) ?? ongoingUsers[0];
  const oauthClient = defaultOAuthClients.find((client) => client.username === ongoingUser?.username);
  const goodsOwner =
    (ongoingAuth ?? defaults.ongoingAuth) === "oauth" && services.ongoing && oauthClient
      ? JSON.stringify({ clientId: oauthClient.clientId, clientSecret: oauthClient.clientSecret })
      : undefined;
  const ongoing = JSON.stringify(
    defaults.externalOngoing
      ? { username: defaults.externalOngoing.username, password: defaults.externalOngoing.password }
      : { username: ongoingUser?.username, password: ongoingUser?.password },
  );
  // The simulator's integrator login sees several goods owners; a real Ongoing gets the one configured.
  const integrator = defaultAutomationUsers[0];
  const automation =
    defaults.externalOngoing || !integrator
      ? ongoing
      : JSON.stringify({ username: integrator.username, password: integrator.password });
  return { ongoing, goodsOwner, automation };
}

/** The environment every function gets over the template's: region, local credentials and endpoints. */
function overridesFor({ services, probeIntervalMs, functionEnvironment }: FunctionHostsOptions) {
  return {
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: services.dynamodb.endpoint,
    AWS_ENDPOINT_URL_SQS: services.sqsEmulator.endpoint,
    AWS_ENDPOINT_URL_S3: services.sqsEmulator.endpoint,
    AWS_ENDPOINT_URL_SES: services.sesEvents.endpoint,
    AWS_ENDPOINT_URL_SESV2: services.sesEvents.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: services.secrets.endpoint,
    AWS_ENDPOINT_URL_LAMBDA: services.lambdaApi.endpoint,
    TZ: "UTC",
    ...(process.env.PATH ? { PATH: process.env.PATH } : {}),
    ...(probeIntervalMs ? { BREAKER_PROBE_INTERVAL_SECONDS: String(probeIntervalMs / 1000) } : {}),
    ...functionEnvironment,
  };
}

function templateEnvironment(resource: CfnResource, names: LocalNames): Record<string, string> {
  return Object.fromEntries(
    Object.entries(
      record(resolve(record(record(resource.Properties).Environment).Variables ?? {}, names)),
    ).map(([key, value]) => [key, String(value)]),
  );
}

/** Points the function's endpoints at the local services and serves the secrets it names. */
function localizeEnvironment(environment: Record<string, string>, context: HostContext): void {
  const { services, credentials, defaults } = context;
  const { secrets, ongoing } = services;
  if (environment.ONGOING_BASE_URL !== undefined) environment.ONGOING_BASE_URL = services.ongoingBaseUrl;
  if (environment.ONGOING_TOKEN_URL !== undefined && ongoing)
    environment.ONGOING_TOKEN_URL = ongoing.tokenUrl;
  if (environment.TRANSPORT_ADAPTER_URL !== undefined)
    environment.TRANSPORT_ADAPTER_URL = services.transport.bookingUrl;
  if (environment.ONGOING_CREDENTIALS_SECRET)
    secrets.put(environment.ONGOING_CREDENTIALS_SECRET, credentials.ongoing);
  if (environment.ONGOING_AUTOMATION_CREDENTIALS_SECRET)
    secrets.put(environment.ONGOING_AUTOMATION_CREDENTIALS_SECRET, credentials.automation);
  if (environment.WEBHOOK_TOKEN_SECRET) secrets.put(environment.WEBHOOK_TOKEN_SECRET, defaults.webhookToken);
  if (environment.TRANSPORT_ADAPTER_AUTH_SECRET)
    secrets.put(environment.TRANSPORT_ADAPTER_AUTH_SECRET, transportAuthValue);
  if (environment.NSHIFT_BASE_URL !== undefined) environment.NSHIFT_BASE_URL = services.nshift.baseUrl;
  if (environment.NSHIFT_CREDENTIALS_SECRET)
    secrets.put(environment.NSHIFT_CREDENTIALS_SECRET, JSON.stringify(nshiftApiKey));
}

async function startOne(id: string, resource: CfnResource, context: HostContext): Promise<LocalFunction> {
  const { assembly, localNames, services } = context;
  const { names } = localNames;
  const properties = record(resource.Properties);
  const environment = templateEnvironment(resource, names);
  localizeEnvironment(environment, context);
  const mapping = resourcesOfType(assembly.template, "AWS::Lambda::EventSourceMapping").find(
    ([, candidate]) => referencedIds(candidate.Properties?.FunctionName).includes(id),
  );
  const mappingProperties = record(mapping?.[1].Properties);
  const [sourceQueueId] = referencedIds(mappingProperties.EventSourceArn);
  const code = record(properties.Code);
  const assetPath = resource.Metadata?.["aws:asset:path"];
  const codeDir =
    assembly.assetDirs.get(String(resolve(code.S3Key, names))) ??
    (typeof assetPath === "string" ? `${assembly.dir}/${assetPath}` : undefined);
  if (!codeDir) throw new Error(`no bundle found for function ${id}`);
  // Every goods owner's own secret, from the settings file bundled with the function (as Lambda reads it).
  for (const settings of Object.values(record(bundledJson(codeDir, environment.GOODS_OWNERS)))) {
    const secretName = record(settings).credentialsSecretName;
    if (typeof secretName === "string")
      services.secrets.put(secretName, context.credentials.goodsOwner ?? context.credentials.ongoing);
  }
  const functionName = String(localNames.functionNames.get(id));
  const config: FunctionHostConfig = {
    functionName,
    codeDir,
    handler: String(properties.Handler ?? "index.handler"),
    timeoutMs: Number(properties.Timeout ?? 3) * 1000,
    memoryMb: Number(properties.MemorySize ?? 128),
    ...(mapping && sourceQueueId && mappingProperties.Enabled !== false && context.consumers
      ? {
          eventSource: {
            queueUrl: String(localNames.queueUrls.get(sourceQueueId)),
            queueArn: localNames.queueArn(sourceQueueId),
            batchSize: Number(mappingProperties.BatchSize ?? 10),
            batchingWindowSeconds: Number(mappingProperties.MaximumBatchingWindowInSeconds ?? 0),
            maxConcurrency: Number(record(mappingProperties.ScalingConfig).MaximumConcurrency ?? 2),
            sqsEndpoint: services.sqsEmulator.endpoint,
          },
        }
      : {}),
  };
  const fn = await startFunction({
    config,
    environment: {
      ...environment,
      AWS_LAMBDA_FUNCTION_NAME: functionName,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(config.memoryMb),
      AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
      _HANDLER: config.handler,
      LAMBDA_TASK_ROOT: codeDir,
      ...context.overrides,
    },
    ...(context.log ? { log: context.log } : {}),
  });
  context.stoppers.add(() => fn.stop());
  return fn;
}

/** A setting the stack bundles as a file beside the handler (or inline JSON), as the function reads it. */
function bundledJson(codeDir: string, value: string | undefined): unknown {
  if (!value) return undefined;
  try {
    return JSON.parse(/^\s*[[{]/.test(value) ? value : readFileSync(join(codeDir, value), "utf8"));
  } catch {
    return undefined;
  }
}
