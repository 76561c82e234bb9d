/**
 * The whole pipeline on one machine, as deployed: synthesizes the CDK app and runs THAT template against local
 * implementations (fauxqs for SQS and S3, dynalite, aws-ses-v2-local, the Secrets Manager stand-in, the Ongoing
 * and transport simulators), with each function's bundle in its own process and the ingress stand-in in front.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { join } from "node:path";
import {
  BatchGetItemCommand,
  CreateTableCommand,
  DynamoDBClient,
  type KeySchemaElement,
} from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { Consumer } from "../functions/shared/consumers.ts";
import { dependencies } from "../functions/shared/errors.ts";
import type { UseCase } from "../functions/shared/webhooks/routes.ts";
import { startNshiftSimulator } from "../simulators/nshift/server.ts";
import {
  defaultAutomationUsers,
  defaultOAuthClients,
  defaultUsers as ongoingUsers,
  startOngoingSimulator,
} from "../simulators/ongoing/server.ts";
import { startSecretsManager } from "../simulators/secrets-manager/server.ts";
import { startTransportSimulator, statusCallbacksSchema } from "../simulators/transport/server.ts";
import { readRestApi } from "./api.ts";
import { checkLambdaEnvironment, deployedNames, sqsDefaultMaximumMessageSize } from "./aws-limits.ts";
import { startDynamoDb, startSes, startSqs } from "./emulators.ts";
import { eventRuleDelivery } from "./event-rules.ts";
import type { FunctionHostConfig } from "./function-host.ts";
import { type LocalFunction, type LogSink, startFunction } from "./functions.ts";
import { type Ingress, listen, startIngress } from "./ingress.ts";
import { type LocalMapping, startLambdaApi } from "./lambda-api.ts";
import { type SesEventEnvelope, startSesEventsProxy } from "./ses-events.ts";
import { localDefaults, type PortName, portVariables } from "./settings.ts";
import { statusPage } from "./status-page.ts";
import { defaultAssemblyDir, synthesize } from "./synth.ts";
import {
  type Assembly,
  type CfnResource,
  type LocalNames,
  metadataOf,
  readAssembly,
  referencedIds,
  resolve,
  resourcesOfType,
} from "./template.ts";

const region = "eu-west-1";
const accountId = "000000000000";
const localCredentials = { accessKeyId: "local", secretAccessKey: "local" };
/** How long `reconcile()` waits for the worker to take the units the dispatcher queued. */
const reconcileDrainTimeoutMs = 15 * 60_000;
/** Transport simulator's required auth header value (the adapter auth secret holds it). */
const transportAuthValue = "Bearer local-transport-token";
/** The API key the nShift simulator accepts, served as the nShift credentials secret. */
const nshiftApiKey = { id: "local-nshift", secret: "local-nshift-secret" };

/** Context that books the given goods owners through nShift (the local stack points it at the simulator). */
export function nshiftContext(goodsOwnerIds: readonly number[]): Record<string, unknown> {
  if (goodsOwnerIds.length === 0) return {};
  return {
    "ongoingWebhooks.transport.nshift": {
      credentialsSecretName: "ongoing-webhooks/nshift-api-key",
      senderQuickId: "LOCAL",
    },
    ...Object.fromEntries(
      goodsOwnerIds.map((id) => [`ongoingWebhooks.goodsOwners.${id}.transportAdapter`, "nshift"]),
    ),
  };
}

export interface LocalStackOptions {
  /** Ports by name; 0 = a free one. @default the environment's (see settings.ts), else the documented defaults */
  readonly ports?: Partial<Record<PortName, number>>;
  /** Every port free (tests, benchmarks). @default false */
  readonly freePorts?: boolean;
  /** Environment the defaults are read from. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Use an already synthesized assembly instead of synthesizing. */
  readonly assemblyDir?: string;
  /** Where functions' log lines go. @default dropped */
  readonly log?: LogSink;
  /** Run the reconcile function on the template's schedule. @default true */
  readonly schedule?: boolean;
  /** The timer the schedule runs on; tests pass a fake one to fire it at once. @default the global timers */
  readonly scheduleTimers?: ScheduleTimers;
  /** Run the SQS event sources (off: webhooks stay on their queues, e.g. to inspect them). @default true */
  readonly consumers?: boolean;
  /**
   * The transport simulator posts status events (picked up, on the way, delivered) to the ingress's
   * `/webhooks/transport-status` after each booking; on or off at run time through its admin API too.
   * @default false (reporting them needs `ongoing.automationCredentialsSecretName`)
   */
  readonly transportStatusCallbacks?: boolean;
  /** Extra environment for every function (e.g. POWERTOOLS_LOG_LEVEL). */
  readonly functionEnvironment?: Record<string, string>;
  /**
   * Runs the breaker probe this often instead of the template's rate, and tells the consumers so
   * (`BREAKER_PROBE_INTERVAL_SECONDS`): compressed time for outage tests and the chaos run. Runs also when
   * `schedule` is off. @default the template's schedule (with `schedule`)
   */
  readonly probeIntervalMs?: number;
  /**
   * How the goods owners' own secrets (goodsOwners.N.credentialsSecretName) log in to the Ongoing simulator:
   * Basic, or OAuth 2.0 client credentials against its token endpoint. The default secrets stay Basic.
   * @default the environment's ONGOING_AUTH, else "basic"
   */
  readonly ongoingAuth?: "basic" | "oauth";
}

/**
 * What the schedule needs of a clock. The tick's callback returns the run's promise, so a test that fires it can
 * await the reconcile's answer (real timers ignore it).
 */
export interface ScheduleTimers {
  setInterval(tick: () => Promise<unknown>, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

const realTimers: ScheduleTimers = {
  setInterval: (tick, ms) => setInterval(tick, ms),
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

export interface LocalQueue {
  /** The webhook use-case, or `article-reconcile` (the reconcile's units). */
  readonly useCase: Consumer;
  readonly url: string;
  readonly deadLetterUrl: string;
  readonly maxReceiveCount: number | undefined;
}

export interface LocalStatus {
  readonly queues: {
    useCase: Consumer;
    visible: number;
    inFlight: number;
    deadLetters: number;
    /** Whether its event source consumes (false while paused by a breaker or by hand). */
    consuming: boolean | undefined;
    url: string;
    deadLetterUrl: string;
  }[];
  /** Each dependency's circuit breaker, as the state table has it. */
  readonly breakers: { dependency: string; position: string; openedAt?: string; probeResult?: string }[];
  readonly tables: { articles: string; state: string };
  /** S3 buckets by their metadata name (e.g. `documents`), on the same endpoint as SQS. */
  readonly buckets: Record<string, string>;
  readonly endpoints: {
    ingress: string;
    dynamodb: string;
    sqs: string;
    ses: string;
    ongoing: string;
    transport: string;
    secretsManager: string;
  };
}

export interface LocalStack {
  readonly urls: LocalStatus["endpoints"] & {
    readonly ongoingAdmin?: string;
    readonly transportAdmin: string;
    /** The nShift simulator's REST API root and admin API. */
    readonly nshift: string;
    readonly nshiftAdmin: string;
  };
  readonly queues: readonly LocalQueue[];
  readonly tables: LocalStatus["tables"];
  readonly buckets: LocalStatus["buckets"];
  readonly webhookToken: string;
  readonly goodsOwnerId: number;
  readonly assembly: Assembly;
  status(): Promise<LocalStatus>;
  /**
   * Runs the article reconcile now, as the schedule does: resolves with the dispatcher's answer once the worker
   * has taken every unit it queued (the reconcile queue is empty).
   */
  reconcile(): Promise<unknown>;
  /** Runs the breaker probe now; resolves with its report. */
  probe(): Promise<unknown>;
  /** Whether a use-case's event source is enabled (undefined: it has none), as the breaker probe left it. */
  eventSourceEnabled(useCase: UseCase): boolean | undefined;
  /** Resolves when every use-case queue is empty (nothing visible, in flight or delayed). */
  idle(options?: { timeoutMs?: number }): Promise<void>;
  /**
   * Disables or enables a use-case's event source, as the mapping's `Enabled` does on AWS: disabled, webhooks
   * wait on the queue. Disabling resolves once the consumer has no batch in flight.
   */
  setConsumerEnabled(useCase: Consumer, enabled: boolean): Promise<void>;
  stop(): Promise<void>;
}

/** A port already taken: one line naming the port and the variable that moves it. */
export class PortInUseError extends Error {
  override readonly name = "PortInUseError";
}

async function onPort<T>(name: PortName, port: number, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    if ((error as { code?: string }).code === "EADDRINUSE") {
      throw new PortInUseError(
        `port ${port} (${name}) is already in use: stop what uses it or set ${portVariables[name].variable} to another port`,
      );
    }
    throw error;
  }
}

/** Fails fast (before the slow synthesis) when a fixed port is taken. */
async function checkPortsFree(ports: [PortName, number][], host: string): Promise<void> {
  for (const [name, port] of ports) {
    if (port === 0) continue;
    await onPort(name, port, async () => {
      const probe = createServer();
      await listen(probe, port, host);
      await new Promise((resolve) => probe.close(resolve));
    });
  }
}

const record = (value: unknown): Record<string, unknown> =>
  typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};

/** `rate(5 minutes)` → milliseconds; anything else (cron) is not run on a timer. */
export function rateMs(expression: string): number | undefined {
  const match = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (!match) return undefined;
  const unit = { minute: 60_000, hour: 3_600_000, day: 86_400_000 }[match[2]?.replace(/s$/, "") as "minute"];
  return Number(match[1]) * unit;
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const defaults = localDefaults(options.env ?? process.env);
  const port = (name: PortName) => (options.freePorts ? 0 : (options.ports?.[name] ?? defaults.ports[name]));
  const host = defaults.host;
  const stoppers: (() => Promise<unknown>)[] = [];
  const stopAll = async () => {
    for (const stop of stoppers.splice(0).reverse()) await stop().catch(() => undefined);
  };

  try {
    await checkPortsFree(
      (Object.keys(portVariables) as PortName[])
        .filter((name) => name !== "ongoing" || !defaults.externalOngoing)
        .map((name) => [name, port(name)]),
      host,
    );
    const assembly = options.assemblyDir
      ? readAssembly(options.assemblyDir)
      : await synthesize({
          outdir: defaultAssemblyDir,
          context: nshiftContext(defaults.nshiftGoodsOwnerIds),
        });
    const { template } = assembly;

    const dynamodb = await onPort("dynamodb", port("dynamodb"), () => startDynamoDb(port("dynamodb")));
    stoppers.push(() => dynamodb.stop());
    const sqsEmulator = await onPort("sqs", port("sqs"), () => startSqs(port("sqs")));
    stoppers.push(() => sqsEmulator.stop());
    const ses = await onPort("ses", port("ses"), () => startSes(port("ses")));
    stoppers.push(() => ses.stop());
    // SES's sending events, which the local SES does not publish: a stand-in emits them per accepted mail and
    // delivers them as the template's EventBridge rules would (set once the functions run).
    let deliverSesEvent: (event: SesEventEnvelope) => Promise<void> = async () => undefined;
    const sesEvents = await startSesEventsProxy({
      target: ses.endpoint,
      emit: (event) => deliverSesEvent(event),
      region,
      account: accountId,
    });
    stoppers.push(() => sesEvents.stop());
    const secrets = await onPort("secretsManager", port("secretsManager"), () =>
      startSecretsManager({}, { port: port("secretsManager"), host }),
    );
    stoppers.push(() => secrets.stop());
    const ongoing = defaults.externalOngoing
      ? undefined
      : await onPort("ongoing", port("ongoing"), () =>
          startOngoingSimulator({ port: port("ongoing"), host }),
        );
    if (ongoing) stoppers.push(() => ongoing.stop());
    const transport = await onPort("transport", port("transport"), () =>
      startTransportSimulator({
        port: port("transport"),
        host,
        auth: { headerName: "Authorization", value: transportAuthValue },
      }),
    );
    stoppers.push(() => transport.stop());
    const nshift = await onPort("nshift", port("nshift"), () =>
      startNshiftSimulator({ port: port("nshift"), host, apiKey: nshiftApiKey }),
    );
    stoppers.push(() => nshift.stop());

    // The breaker probe's Lambda API calls; the event sources are registered once their functions run.
    const localMappings = new Map<string, LocalMapping & { useCase: Consumer | undefined }>();
    const lambdaApi = await startLambdaApi(localMappings, { host });
    stoppers.push(() => lambdaApi.stop());

    const sqs = new SQSClient({ region, endpoint: sqsEmulator.endpoint, credentials: localCredentials });
    stoppers.push(async () => sqs.destroy());
    const dynamoDbClient = new DynamoDBClient({
      region,
      endpoint: dynamodb.endpoint,
      credentials: localCredentials,
    });
    stoppers.push(async () => dynamoDbClient.destroy());

    // Local names: queues and tables after their use-case / table metadata, everything else after its logical id.
    const queueNames = new Map<string, string>();
    const queueUrls = new Map<string, string>();
    const tableNames = new Map<string, string>();
    const functionNames = new Map<string, string>();
    const bucketNames = new Map<string, string>();
    for (const [id, resource] of resourcesOfType(template, "AWS::S3::Bucket")) {
      const meta = metadataOf(resource);
      bucketNames.set(
        id,
        String(resource.Properties?.BucketName ?? `ongoing-webhooks-${meta?.bucket ?? id}`).toLowerCase(),
      );
    }
    for (const [id, resource] of resourcesOfType(template, "AWS::SQS::Queue")) {
      const meta = metadataOf(resource);
      const base = meta?.useCase ? `ongoing-webhooks-${meta.useCase}` : `ongoing-webhooks-${id}`;
      queueNames.set(
        id,
        String(resource.Properties?.QueueName ?? (meta?.kind === "deadLetterQueue" ? `${base}-dlq` : base)),
      );
    }
    const tables = [
      ...resourcesOfType(template, "AWS::DynamoDB::Table"),
      ...resourcesOfType(template, "AWS::DynamoDB::GlobalTable"),
    ];
    for (const [id, resource] of tables) {
      const meta = metadataOf(resource);
      tableNames.set(id, String(resource.Properties?.TableName ?? `ongoing-webhooks-${meta?.table ?? id}`));
    }
    for (const [id, resource] of resourcesOfType(template, "AWS::Lambda::Function")) {
      const meta = metadataOf(resource);
      functionNames.set(
        id,
        String(resource.Properties?.FunctionName ?? `ongoing-webhooks-${meta?.useCase ?? meta?.kind ?? id}`),
      );
    }
    const queueArn = (id: string) => `arn:aws:sqs:${region}:${accountId}:${queueNames.get(id)}`;
    const names: LocalNames = {
      region,
      accountId,
      ref(id) {
        if (queueUrls.has(id)) return String(queueUrls.get(id));
        if (tableNames.has(id)) return String(tableNames.get(id));
        if (functionNames.has(id)) return String(functionNames.get(id));
        if (bucketNames.has(id)) return String(bucketNames.get(id));
        if (!template.Resources[id]) throw new Error(`Ref to unknown resource ${id}`);
        return `local-${id}`;
      },
      getAtt(id, attribute) {
        if (queueNames.has(id)) {
          if (attribute === "Arn") return queueArn(id);
          if (attribute === "QueueName") return String(queueNames.get(id));
          if (attribute === "QueueUrl") return String(queueUrls.get(id));
        }
        if (tableNames.has(id) && attribute === "Arn")
          return `arn:aws:dynamodb:${region}:${accountId}:table/${tableNames.get(id)}`;
        if (functionNames.has(id) && attribute === "Arn")
          return `arn:aws:lambda:${region}:${accountId}:function:${functionNames.get(id)}`;
        if (bucketNames.has(id) && attribute === "Arn") return `arn:aws:s3:::${bucketNames.get(id)}`;
        return `local-${id}-${attribute}`;
      },
    };

    // Tables exactly as the template defines their keys.
    for (const [id, resource] of tables) {
      const properties = record(resource.Properties);
      await dynamoDbClient.send(
        new CreateTableCommand({
          TableName: tableNames.get(id),
          BillingMode: "PAY_PER_REQUEST",
          KeySchema: properties.KeySchema as KeySchemaElement[],
          AttributeDefinitions: properties.AttributeDefinitions as never,
          ...(properties.GlobalSecondaryIndexes
            ? {
                GlobalSecondaryIndexes: (properties.GlobalSecondaryIndexes as Record<string, unknown>[]).map(
                  (index) => ({
                    IndexName: index.IndexName as string,
                    KeySchema: index.KeySchema as KeySchemaElement[],
                    Projection: index.Projection as never,
                  }),
                ),
              }
            : {}),
        }),
      );
    }

    // Buckets: fauxqs serves S3 on the SQS endpoint (it keeps no lifecycle rule; objects stay until stop).
    const s3 = new S3Client({
      region,
      endpoint: sqsEmulator.endpoint,
      credentials: localCredentials,
      forcePathStyle: true,
    });
    stoppers.push(async () => s3.destroy());
    for (const name of bucketNames.values()) await s3.send(new CreateBucketCommand({ Bucket: name }));
    const buckets = Object.fromEntries(
      [...bucketNames].map(([id, name]) => [
        String(metadataOf(template.Resources[id] as CfnResource)?.bucket ?? id),
        name,
      ]),
    );

    // Queues: dead-letter queues first, so a redrive policy can name them.
    const queueEntries = resourcesOfType(template, "AWS::SQS::Queue").sort(
      ([, a], [, b]) =>
        Number(Boolean(a.Properties?.RedrivePolicy)) - Number(Boolean(b.Properties?.RedrivePolicy)),
    );
    for (const [id, resource] of queueEntries) {
      const properties = record(resource.Properties);
      const attributes: Record<string, string> = {};
      if (properties.VisibilityTimeout !== undefined)
        attributes.VisibilityTimeout = String(properties.VisibilityTimeout);
      if (properties.MessageRetentionPeriod !== undefined)
        attributes.MessageRetentionPeriod = String(properties.MessageRetentionPeriod);
      if (properties.DelaySeconds !== undefined) attributes.DelaySeconds = String(properties.DelaySeconds);
      // SQS refuses a larger message; unset, SQS's default is its largest, as fauxqs's is.
      attributes.MaximumMessageSize = String(properties.MaximumMessageSize ?? sqsDefaultMaximumMessageSize);
      if (properties.RedrivePolicy)
        attributes.RedrivePolicy = JSON.stringify(resolve(properties.RedrivePolicy, names));
      const created = await sqs.send(
        new CreateQueueCommand({ QueueName: queueNames.get(id), Attributes: attributes }),
      );
      queueUrls.set(id, String(created.QueueUrl));
    }
    const queues: LocalQueue[] = [];
    for (const [id, resource] of queueEntries) {
      const meta = metadataOf(resource);
      if (meta?.kind !== "queue" || !meta.useCase) continue;
      const redrive = record(resource.Properties?.RedrivePolicy);
      const [deadLetterId] = referencedIds(redrive.deadLetterTargetArn);
      queues.push({
        useCase: meta.useCase,
        url: String(queueUrls.get(id)),
        deadLetterUrl: deadLetterId ? String(queueUrls.get(deadLetterId)) : "",
        maxReceiveCount: redrive.maxReceiveCount === undefined ? undefined : Number(redrive.maxReceiveCount),
      });
    }

    // Functions: the template's environment, resolved, with endpoints pointed at the local implementations.
    const ongoingUser =
      ongoingUsers.find((user) => user.goodsOwnerId === defaults.goodsOwnerId) ?? ongoingUsers[0];
    const ongoingBaseUrl = defaults.externalOngoing?.baseUrl ?? String(ongoing?.baseUrl);
    const oauthClient = defaultOAuthClients.find((client) => client.username === ongoingUser?.username);
    const goodsOwnerCredentials =
      (options.ongoingAuth ?? defaults.ongoingAuth) === "oauth" && ongoing && oauthClient
        ? JSON.stringify({ clientId: oauthClient.clientId, clientSecret: oauthClient.clientSecret })
        : undefined;
    const ongoingCredentials = JSON.stringify(
      defaults.externalOngoing
        ? { username: defaults.externalOngoing.username, password: defaults.externalOngoing.password }
        : { username: ongoingUser?.username, password: ongoingUser?.password },
    );
    // The simulator's integrator login sees several goods owners; a real Ongoing gets the one configured.
    const integrator = defaultAutomationUsers[0];
    const automationCredentials =
      defaults.externalOngoing || !integrator
        ? ongoingCredentials
        : JSON.stringify({ username: integrator.username, password: integrator.password });
    const overrides: Record<string, string> = {
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
      AWS_ENDPOINT_URL_SQS: sqsEmulator.endpoint,
      AWS_ENDPOINT_URL_S3: sqsEmulator.endpoint,
      AWS_ENDPOINT_URL_SES: sesEvents.endpoint,
      AWS_ENDPOINT_URL_SESV2: sesEvents.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
      AWS_ENDPOINT_URL_LAMBDA: lambdaApi.endpoint,
      TZ: "UTC",
      ...(process.env.PATH ? { PATH: process.env.PATH } : {}),
      ...(options.probeIntervalMs
        ? { BREAKER_PROBE_INTERVAL_SECONDS: String(options.probeIntervalMs / 1000) }
        : {}),
      ...options.functionEnvironment,
    };
    const functions = new Map<string, LocalFunction>();
    const mappings = resourcesOfType(template, "AWS::Lambda::EventSourceMapping");
    const templateEnvironment = (resource: CfnResource, as = names): Record<string, string> =>
      Object.fromEntries(
        Object.entries(
          record(resolve(record(record(resource.Properties).Environment).Variables ?? {}, as)),
        ).map(([key, value]) => [key, String(value)]),
      );
    const startOne = async (id: string, resource: CfnResource): Promise<LocalFunction> => {
      const properties = record(resource.Properties);
      const environment = templateEnvironment(resource);
      if (environment.ONGOING_BASE_URL !== undefined) environment.ONGOING_BASE_URL = ongoingBaseUrl;
      if (environment.ONGOING_TOKEN_URL !== undefined && ongoing)
        environment.ONGOING_TOKEN_URL = ongoing.tokenUrl;
      if (environment.TRANSPORT_ADAPTER_URL !== undefined)
        environment.TRANSPORT_ADAPTER_URL = transport.bookingUrl;
      if (environment.ONGOING_CREDENTIALS_SECRET)
        secrets.put(environment.ONGOING_CREDENTIALS_SECRET, ongoingCredentials);
      if (environment.ONGOING_AUTOMATION_CREDENTIALS_SECRET)
        secrets.put(environment.ONGOING_AUTOMATION_CREDENTIALS_SECRET, automationCredentials);
      if (environment.WEBHOOK_TOKEN_SECRET)
        secrets.put(environment.WEBHOOK_TOKEN_SECRET, defaults.webhookToken);
      if (environment.TRANSPORT_ADAPTER_AUTH_SECRET)
        secrets.put(environment.TRANSPORT_ADAPTER_AUTH_SECRET, transportAuthValue);
      if (environment.NSHIFT_BASE_URL !== undefined) environment.NSHIFT_BASE_URL = nshift.baseUrl;
      if (environment.NSHIFT_CREDENTIALS_SECRET)
        secrets.put(environment.NSHIFT_CREDENTIALS_SECRET, JSON.stringify(nshiftApiKey));

      const mapping = mappings.find(([, candidate]) =>
        referencedIds(candidate.Properties?.FunctionName).includes(id),
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
          secrets.put(secretName, goodsOwnerCredentials ?? ongoingCredentials);
      }
      const functionName = String(functionNames.get(id));
      const config: FunctionHostConfig = {
        functionName,
        codeDir,
        handler: String(properties.Handler ?? "index.handler"),
        timeoutMs: Number(properties.Timeout ?? 3) * 1000,
        memoryMb: Number(properties.MemorySize ?? 128),
        ...(mapping && sourceQueueId && mappingProperties.Enabled !== false && (options.consumers ?? true)
          ? {
              eventSource: {
                queueUrl: String(queueUrls.get(sourceQueueId)),
                queueArn: queueArn(sourceQueueId),
                batchSize: Number(mappingProperties.BatchSize ?? 10),
                batchingWindowSeconds: Number(mappingProperties.MaximumBatchingWindowInSeconds ?? 0),
                maxConcurrency: Number(record(mappingProperties.ScalingConfig).MaximumConcurrency ?? 2),
                sqsEndpoint: sqsEmulator.endpoint,
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
          ...overrides,
        },
        ...(options.log ? { log: options.log } : {}),
      });
      stoppers.push(() => fn.stop());
      return fn;
    };
    const lambdaEntries = resourcesOfType(template, "AWS::Lambda::Function").filter(([, resource]) =>
      ["consumer", "authorizer", "reconcile", "mail-events", "breaker-probe"].includes(
        metadataOf(resource)?.kind ?? "",
      ),
    );
    // With the names and URLs a deployment gives, before any function starts: Lambda would refuse it.
    const deployed = deployedNames(template, assembly.stackName, region);
    for (const [id, resource] of lambdaEntries)
      checkLambdaEnvironment(String(functionNames.get(id)), templateEnvironment(resource, deployed));
    await Promise.all(
      lambdaEntries.map(async ([id, resource]) => {
        functions.set(id, await startOne(id, resource));
      }),
    );
    const byKind = (kind: string) =>
      lambdaEntries.find(([, resource]) => metadataOf(resource)?.kind === kind)?.[0];
    const reconcileId = byKind("reconcile");
    deliverSesEvent = eventRuleDelivery({
      template,
      functions,
      sqs,
      queueUrl: (id) => queueUrls.get(id),
      log: (line) => options.log?.("eventbridge", line),
    });

    // The schedules: EventBridge rules (or Scheduler schedules) targeting the reconcile function, each on its
    // own timer with its own input (the incremental one has none; a full one says `{"mode":"full"}`).
    const scheduleEntries = [
      ...resourcesOfType(template, "AWS::Events::Rule"),
      ...resourcesOfType(template, "AWS::Scheduler::Schedule"),
    ].filter(([, resource]) => reconcileId && referencedIds(resource.Properties).includes(reconcileId));
    const schedules = scheduleEntries.map(([scheduleId, resource]) => {
      const properties = record(resource.Properties);
      const target = record(
        (properties.Targets as unknown[] | undefined)?.find(
          (item) => reconcileId && referencedIds(item).includes(reconcileId),
        ) ?? properties.Target,
      );
      const event = () =>
        target.Input
          ? JSON.parse(String(target.Input))
          : {
              version: "0",
              id: randomUUID(),
              "detail-type": "Scheduled Event",
              source: "aws.events",
              account: accountId,
              time: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
              region,
              resources: [`arn:aws:events:${region}:${accountId}:rule/${scheduleId}`],
              detail: {},
            };
      return { properties, event, incremental: !target.Input };
    });
    const runReconcile = async (event: unknown) => {
      const fn = reconcileId ? functions.get(reconcileId) : undefined;
      if (!fn) throw new Error("the template has no reconcile function");
      const answer = await fn.invoke(event);
      const units = queues.find((queue) => queue.useCase === "article-reconcile");
      if (units && (options.consumers ?? true)) await drained([units], reconcileDrainTimeoutMs);
      return answer;
    };
    const defaultSchedule = schedules.find((schedule) => schedule.incremental) ?? schedules[0];
    const reconcile = () => runReconcile(defaultSchedule ? defaultSchedule.event() : {});
    for (const schedule of schedules) {
      const every = rateMs(String(schedule.properties.ScheduleExpression ?? ""));
      if (!(options.schedule ?? true) || !every || schedule.properties.State === "DISABLED") continue;
      const timers = options.scheduleTimers ?? realTimers;
      const timer = timers.setInterval(() => runReconcile(schedule.event()).catch(() => undefined), every);
      stoppers.push(async () => timers.clearInterval(timer));
    }

    // The event source mappings, by the UUID the probe's environment names them with (Ref → local-<id>).
    for (const [mappingId, mapping] of mappings) {
      const [functionId] = referencedIds(mapping.Properties?.FunctionName);
      const fn = functionId ? functions.get(functionId) : undefined;
      if (!functionId || !fn) continue;
      const consumer = lambdaEntries.find(([id]) => id === functionId)?.[1];
      let enabled = mapping.Properties?.Enabled !== false && (options.consumers ?? true);
      localMappings.set(names.ref(mappingId), {
        functionName: fn.name,
        useCase: consumer ? metadataOf(consumer)?.useCase : undefined,
        get enabled() {
          return enabled;
        },
        async setEnabled(on) {
          enabled = on;
          await fn.setEventSourceEnabled(on);
        },
      });
    }
    const probeId = byKind("breaker-probe");
    const probe = async () => {
      const fn = probeId ? functions.get(probeId) : undefined;
      if (!fn) throw new Error("the template has no breaker probe");
      return fn.invoke({ "detail-type": "Scheduled Event", source: "aws.events", detail: {} });
    };
    const probeRule = resourcesOfType(template, "AWS::Events::Rule").find(
      ([, resource]) => probeId && referencedIds(resource.Properties).includes(probeId),
    );
    const probeEvery =
      options.probeIntervalMs ?? rateMs(String(record(probeRule?.[1].Properties).ScheduleExpression ?? ""));
    // A compressed probe interval is asked for explicitly, so it runs even with the schedules off.
    if ((options.probeIntervalMs !== undefined || (options.schedule ?? true)) && probeId && probeEvery) {
      const timers = options.scheduleTimers ?? realTimers;
      const timer = timers.setInterval(() => probe().catch(() => undefined), probeEvery);
      stoppers.push(async () => timers.clearInterval(timer));
    }

    const tableByKind = (kind: string) =>
      String(
        tableNames.get(tables.find(([, resource]) => metadataOf(resource)?.table === kind)?.[0] ?? "") ?? "",
      );
    const tableNamesOut = { articles: tableByKind("articles"), state: tableByKind("state") };
    const endpoints = {
      ingress: "",
      dynamodb: dynamodb.endpoint,
      sqs: sqsEmulator.endpoint,
      ses: ses.endpoint,
      ongoing: ongoingBaseUrl,
      transport: transport.bookingUrl,
      secretsManager: secrets.endpoint,
    };
    const depth = async (url: string) => {
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["All"] }),
      );
      return {
        visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
        inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
        delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0),
      };
    };
    const eventSourceEnabled = (useCase: Consumer) => {
      const [uuid] = [...localMappings].find(([, mapping]) => mapping.useCase === useCase) ?? [];
      return uuid === undefined ? undefined : lambdaApi.enabled(uuid);
    };
    const breakerStates = async (): Promise<LocalStatus["breakers"]> => {
      const keys = dependencies.map((dependency) => ({ id: { S: `breaker#${dependency}` } }));
      const answer = await dynamoDbClient.send(
        new BatchGetItemCommand({ RequestItems: { [tableNamesOut.state]: { Keys: keys } } }),
      );
      const items = answer.Responses?.[tableNamesOut.state] ?? [];
      return dependencies.map((dependency) => {
        const item = items.find((candidate) => candidate.id?.S === `breaker#${dependency}`);
        const openedAt = item?.openedAt?.N;
        return {
          dependency,
          position: item?.position?.S ?? "closed",
          ...(openedAt ? { openedAt: new Date(Number(openedAt)).toISOString() } : {}),
          ...(item?.probeResult?.S ? { probeResult: item.probeResult.S } : {}),
        };
      });
    };
    /** Resolves when the queues are empty (nothing visible, in flight or delayed) twice in a row. */
    const drained = async (which: readonly LocalQueue[], timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      let quiet = 0;
      while (quiet < 2) {
        if (Date.now() > deadline) throw new Error(`queues not drained within ${timeoutMs} ms`);
        await new Promise((resolveSleep) => setTimeout(resolveSleep, 100));
        const depths = await Promise.all(which.map((queue) => depth(queue.url)));
        quiet = depths.every((d) => d.visible + d.inFlight + d.delayed === 0) ? quiet + 1 : 0;
      }
    };
    const status = async (): Promise<LocalStatus> => ({
      queues: await Promise.all(
        queues.map(async (queue) => {
          const main = await depth(queue.url);
          const dead = queue.deadLetterUrl
            ? await depth(queue.deadLetterUrl)
            : { visible: 0, inFlight: 0, delayed: 0 };
          return {
            useCase: queue.useCase,
            visible: main.visible + main.delayed,
            inFlight: main.inFlight,
            deadLetters: dead.visible + dead.inFlight + dead.delayed,
            consuming: eventSourceEnabled(queue.useCase),
            url: queue.url,
            deadLetterUrl: queue.deadLetterUrl,
          };
        }),
      ),
      breakers: await breakerStates(),
      tables: tableNamesOut,
      buckets,
      endpoints: { ...endpoints },
    });

    const extraRoutes = async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
      const path = new URL(request.url ?? "/", "http://local").pathname.replace(/\/+$/, "");
      const json = (code: number, body: unknown) => {
        response.writeHead(code, { "content-type": "application/json" });
        response.end(`${JSON.stringify(body, null, 2)}\n`);
      };
      if (request.method === "GET" && path === "/_local/status") {
        json(200, await status());
        return true;
      }
      if (request.method === "GET" && path === "/_local") {
        response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        response.end(
          statusPage(await status(), { sesPage: `${ses.endpoint}/`, ongoingAdmin: ongoing?.adminUrl }),
        );
        return true;
      }
      if (request.method === "POST" && path === "/_local/probe") {
        try {
          json(200, { result: (await probe()) ?? null });
        } catch (error) {
          json(500, { message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
        }
        return true;
      }
      if (request.method === "POST" && path === "/_local/reconcile") {
        try {
          json(200, { result: (await reconcile()) ?? null });
        } catch (error) {
          json(500, { message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
        }
        return true;
      }
      return false;
    };

    const api = readRestApi(template, names);
    const authorizerId = byKind("authorizer") ?? api.authorizer?.functionLogicalId;
    const authorizer = authorizerId ? functions.get(authorizerId) : undefined;
    const ingress: Ingress = await onPort("ingress", port("ingress"), () =>
      startIngress({
        api,
        ...(authorizer ? { invokeAuthorizer: (event: unknown) => authorizer.invoke(event) } : {}),
        sqsEndpoint: sqsEmulator.endpoint,
        region,
        accountId,
        extraRoutes,
        host,
        port: port("ingress"),
        onError: (error) => options.log?.("ingress", error instanceof Error ? error.message : String(error)),
      }),
    );
    stoppers.push(() => ingress.stop());
    endpoints.ingress = ingress.url;
    if (options.transportStatusCallbacks) {
      transport.state.statusCallbacks = statusCallbacksSchema.parse({
        url: `${ingress.url}/webhooks/transport-status`,
        headers: { "X-Auth-Token": defaults.webhookToken },
      });
    }

    return {
      urls: {
        ...endpoints,
        ...(ongoing ? { ongoingAdmin: ongoing.adminUrl } : {}),
        transportAdmin: transport.adminUrl,
        nshift: nshift.baseUrl,
        nshiftAdmin: nshift.adminUrl,
      },
      queues,
      tables: tableNamesOut,
      buckets,
      webhookToken: defaults.webhookToken,
      goodsOwnerId: defaults.goodsOwnerId,
      assembly,
      status,
      reconcile,
      probe,
      eventSourceEnabled,
      async setConsumerEnabled(useCase, enabled) {
        const [id] =
          lambdaEntries.find(
            ([, resource]) =>
              metadataOf(resource)?.kind === "consumer" && metadataOf(resource)?.useCase === useCase,
          ) ?? [];
        const fn = id ? functions.get(id) : undefined;
        if (!fn) throw new Error(`the template has no consumer for ${useCase}`);
        await fn.setEventSourceEnabled(enabled);
      },
      idle: ({ timeoutMs = 30_000 } = {}) => drained(queues, timeoutMs),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
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
