import type { Consumer } from "../functions/shared/contract/consumers.ts";
import type { UseCase } from "../functions/shared/contract/routes.ts";
import { recentTrail, trailTableOf } from "../functions/shared/trail/reader.ts";
import { statusCallbacksSchema } from "../simulators/transport/server.ts";
import { accountId, region } from "./account.ts";
import { adminRoutes } from "./admin.ts";
import { readRestApi } from "./api.ts";
import { eventRuleDelivery } from "./event-rules.ts";
import { registerEventSources } from "./event-sources.ts";
import { type FunctionHosts, startFunctionHosts } from "./function-hosts.ts";
import type { LogSink } from "./functions.ts";
import { type Ingress, type IngressOptions, startIngress } from "./ingress.ts";
import { type LocalNameTable, localNamesOf } from "./local-names.ts";
import { checkPortsFree, onPort } from "./ports.ts";
import { type LocalQueue, provision } from "./provision.ts";
import { type ScheduleTimers, startProbeSchedule, startReconcileSchedules } from "./schedules.ts";
import { type LocalServices, startServices } from "./services.ts";
import { localDefaults, type PortName, portVariables } from "./settings.ts";
import { type LocalStatus, readStatus } from "./status.ts";
import { Stoppers } from "./stoppers.ts";
import { defaultAssemblyDir, synthesize } from "./synth.ts";
import { type Assembly, readAssembly } from "./template.ts";

export { PortInUseError } from "./ports.ts";
export type { LocalQueue } from "./provision.ts";
export { rateMs, type ScheduleTimers } from "./schedules.ts";
export type { LocalStatus, LocalTrailEntry } from "./status.ts";

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

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const defaults = localDefaults(options.env ?? process.env);
  const port = (name: PortName) => (options.freePorts ? 0 : (options.ports?.[name] ?? defaults.ports[name]));
  const consumers = options.consumers ?? true;
  const stoppers = new Stoppers();
  try {
    await checkPortsFree(
      (Object.keys(portVariables) as PortName[])
        .filter((name) => name !== "ongoing" || !defaults.externalOngoing)
        .map((name) => [name, port(name)]),
      defaults.host,
    );
    const assembly = options.assemblyDir
      ? readAssembly(options.assemblyDir)
      : await synthesize({
          outdir: defaultAssemblyDir,
          context: nshiftContext(defaults.nshiftGoodsOwnerIds),
        });
    const { template } = assembly;
    const services = await startServices({ port, defaults, stoppers });
    const localNames = localNamesOf(template);
    const provisioned = await provision({ template, localNames, services, stoppers });
    // The functions start once their queues and tables exist.
    const hosts = await startFunctionHosts({
      ...options,
      assembly,
      localNames,
      services,
      defaults,
      stoppers,
      consumers,
    });
    services.setSesEventDelivery(
      eventRuleDelivery({
        template,
        functions: hosts.functions,
        sqs: services.sqs,
        queueUrl: (id) => localNames.queueUrls.get(id),
        log: (line) => options.log?.("eventbridge", line),
      }),
    );
    const eventSources = registerEventSources({
      template,
      names: localNames.names,
      hosts,
      services,
      consumers,
    });
    const scheduling = { template, hosts, eventSources, queues: provisioned.queues, stoppers, consumers };
    const timing = { schedule: options.schedule ?? true, timers: options.scheduleTimers };
    const reconcile = startReconcileSchedules({ ...scheduling, ...timing });
    const probe = startProbeSchedule({ ...scheduling, ...timing, probeIntervalMs: options.probeIntervalMs });

    const endpoints = endpointsOf(services);
    const status = () =>
      readStatus({
        provisioned,
        eventSources,
        dynamodb: services.dynamoDbClient,
        endpoints,
        trail: () => recentTrail(trailTableOf(services.dynamoDbClient, provisioned.tables.trail)),
      });
    const ingress = await startLocalIngress({
      template,
      localNames,
      hosts,
      services,
      port: port("ingress"),
      host: defaults.host,
      log: options.log,
      extraRoutes: adminRoutes({
        status,
        probe,
        reconcile,
        queues: provisioned.queues,
        sqs: services.sqs,
        links: { sesPage: `${services.ses.endpoint}/`, ongoingAdmin: services.ongoing?.adminUrl },
      }),
    });
    stoppers.add(() => ingress.stop());
    endpoints.ingress = ingress.url;
    if (options.transportStatusCallbacks) {
      services.transport.state.statusCallbacks = statusCallbacksSchema.parse({
        url: `${ingress.url}/webhooks/transport-status`,
        headers: { "X-Auth-Token": defaults.webhookToken },
      });
    }

    return {
      urls: {
        ...endpoints,
        ...(services.ongoing ? { ongoingAdmin: services.ongoing.adminUrl } : {}),
        transportAdmin: services.transport.adminUrl,
        nshift: services.nshift.baseUrl,
        nshiftAdmin: services.nshift.adminUrl,
      },
      queues: provisioned.queues,
      tables: provisioned.tables,
      buckets: provisioned.buckets,
      webhookToken: defaults.webhookToken,
      goodsOwnerId: defaults.goodsOwnerId,
      assembly,
      status,
      reconcile,
      probe,
      eventSourceEnabled: (useCase: Consumer) => eventSources.enabled(useCase),
      setConsumerEnabled: (useCase, enabled) => eventSources.setEnabled(useCase, enabled),
      idle: ({ timeoutMs = 30_000 } = {}) => eventSources.drained(provisioned.queues, timeoutMs),
      stop: () => stoppers.stopAll(),
    };
  } catch (error) {
    await stoppers.stopAll();
    throw error;
  }
}

/** The ingress stand-in in front of the API the template declares, with the real authorizer function. */
async function startLocalIngress(options: {
  template: Assembly["template"];
  localNames: LocalNameTable;
  hosts: FunctionHosts;
  services: LocalServices;
  port: number;
  host: string;
  log: LogSink | undefined;
  extraRoutes: IngressOptions["extraRoutes"];
}): Promise<Ingress> {
  const { hosts, services, log } = options;
  const api = readRestApi(options.template, options.localNames.names);
  const authorizer = hosts.functions.get(
    hosts.byKind("authorizer") ?? api.authorizer?.functionLogicalId ?? "",
  );
  return onPort("ingress", options.port, () =>
    startIngress({
      api,
      ...(authorizer ? { invokeAuthorizer: (event: unknown) => authorizer.invoke(event) } : {}),
      sqsEndpoint: services.sqsEmulator.endpoint,
      region,
      accountId,
      ...(options.extraRoutes ? { extraRoutes: options.extraRoutes } : {}),
      host: options.host,
      port: options.port,
      onError: (error) => log?.("ingress", error instanceof Error ? error.message : String(error)),
    }),
  );
}

/** The endpoints the status lists; the ingress's is set once it listens. */
function endpointsOf(services: LocalServices): LocalStatus["endpoints"] {
  return {
    ingress: "",
    dynamodb: services.dynamodb.endpoint,
    sqs: services.sqsEmulator.endpoint,
    ses: services.ses.endpoint,
    ongoing: services.ongoingBaseUrl,
    transport: services.transport.bookingUrl,
    secretsManager: services.secrets.endpoint,
  };
}
