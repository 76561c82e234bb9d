/**
 * The local stack's services, each on its port: the AWS stand-ins (DynamoDB, SQS with S3, SES with its sending
 * events, Secrets Manager, the Lambda API the breaker probe calls) and the simulators (Ongoing, transport, nShift).
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { Consumer } from "../functions/shared/contract/consumers.ts";
import { startNshiftSimulator } from "../simulators/nshift/server.ts";
import { startOngoingSimulator } from "../simulators/ongoing/server.ts";
import { startSecretsManager } from "../simulators/secrets-manager/server.ts";
import { startTransportSimulator } from "../simulators/transport/server.ts";
import { accountId, localCredentials, region } from "./account.ts";
import { startDynamoDb, startSes, startSqs } from "./emulators.ts";
import { type LocalMapping, startLambdaApi } from "./lambda-api.ts";
import { onPort } from "./ports.ts";
import { type SesEventEnvelope, startSesEventsProxy } from "./ses-events.ts";
import type { LocalDefaults, PortName } from "./settings.ts";
import type { Stoppers } from "./stoppers.ts";

/** Transport simulator's required auth header value (the adapter auth secret holds it). */
export const transportAuthValue = "Bearer local-transport-token";
/** The API key the nShift simulator accepts, served as the nShift credentials secret. */
export const nshiftApiKey = { id: "local-nshift", secret: "local-nshift-secret" };

export type LocalMappings = Map<string, LocalMapping & { useCase: Consumer | undefined }>;

export type LocalServices = Awaited<ReturnType<typeof startServices>>;

/** Starts every service in order, registering each one's stop as it comes up. */
export async function startServices(options: {
  port: (name: PortName) => number;
  defaults: LocalDefaults;
  stoppers: Stoppers;
}) {
  const { port, defaults, stoppers } = options;
  const { host } = defaults;
  const dynamodb = await onPort("dynamodb", port("dynamodb"), () => startDynamoDb(port("dynamodb")));
  stoppers.add(() => dynamodb.stop());
  const sqsEmulator = await onPort("sqs", port("sqs"), () => startSqs(port("sqs")));
  stoppers.add(() => sqsEmulator.stop());
  const ses = await onPort("ses", port("ses"), () => startSes(port("ses")));
  stoppers.add(() => ses.stop());
  // SES's sending events, which the local SES does not publish: a stand-in emits them per accepted mail and
  // delivers them as the template's EventBridge rules would (set once the functions run).
  let deliverSesEvent: (event: SesEventEnvelope) => Promise<void> = async () => undefined;
  const sesEvents = await startSesEventsProxy({
    target: ses.endpoint,
    emit: (event) => deliverSesEvent(event),
    region,
    account: accountId,
  });
  stoppers.add(() => sesEvents.stop());
  const secrets = await onPort("secretsManager", port("secretsManager"), () =>
    startSecretsManager({}, { port: port("secretsManager"), host }),
  );
  stoppers.add(() => secrets.stop());
  const ongoing = defaults.externalOngoing
    ? undefined
    : await onPort("ongoing", port("ongoing"), () => startOngoingSimulator({ port: port("ongoing"), host }));
  if (ongoing) stoppers.add(() => ongoing.stop());
  const transport = await onPort("transport", port("transport"), () =>
    startTransportSimulator({
      port: port("transport"),
      host,
      auth: { headerName: "Authorization", value: transportAuthValue },
    }),
  );
  stoppers.add(() => transport.stop());
  const nshift = await onPort("nshift", port("nshift"), () =>
    startNshiftSimulator({ port: port("nshift"), host, apiKey: nshiftApiKey }),
  );
  stoppers.add(() => nshift.stop());

  // The breaker probe's Lambda API calls; the event sources are registered once their functions run.
  const localMappings: LocalMappings = new Map();
  const lambdaApi = await startLambdaApi(localMappings, { host });
  stoppers.add(() => lambdaApi.stop());

  const sqs = new SQSClient({ region, endpoint: sqsEmulator.endpoint, credentials: localCredentials });
  stoppers.add(async () => sqs.destroy());
  const dynamoDbClient = new DynamoDBClient({
    region,
    endpoint: dynamodb.endpoint,
    credentials: localCredentials,
  });
  stoppers.add(async () => dynamoDbClient.destroy());
  return {
    dynamodb,
    sqsEmulator,
    ses,
    sesEvents,
    secrets,
    ongoing,
    /** Where the functions find Ongoing: the simulator, or the external server the settings name. */
    ongoingBaseUrl: defaults.externalOngoing?.baseUrl ?? String(ongoing?.baseUrl),
    transport,
    nshift,
    localMappings,
    lambdaApi,
    sqs,
    dynamoDbClient,
    /** Where SES's sending events go, once the functions that take them run. */
    setSesEventDelivery(deliver: (event: SesEventEnvelope) => Promise<void>) {
      deliverSesEvent = deliver;
    },
  };
}
