/**
 * Test set-up shared by the unit and integration tests that talk to local servers: the Secrets Manager
 * stand-in and dynalite with the functions' environment pointed at them (`useLocalAws`), and the Ongoing and
 * transport simulators (`useOngoingSimulator`, `useTransportSimulator`). Each `use…` registers its own
 * beforeAll/afterAll hooks in the file or `describe` it is called in, and returns a handle that is usable from
 * the first test on (and from hooks registered after it). Hooks run in the order they are registered, so a
 * `useLocalAws({ env })` after a `useOngoingSimulator()` may read the simulator's URL.
 *
 * The AWS clients read their endpoints when first imported: import the code under test dynamically, in a test
 * or a later beforeAll.
 */
import { afterAll, beforeAll, beforeEach, vi } from "vitest";

import { createStackTables } from "../../devkit/tables.ts";
import { type Emulator, startDynamoDb } from "../../local/emulators.ts";
import {
  type OngoingSimulator,
  type OngoingSimulatorOptions,
  startOngoingSimulator,
} from "../../simulators/ongoing/server.ts";
import { type SecretsManagerStandIn, startSecretsManager } from "../../simulators/secrets-manager/server.ts";
import {
  startTransportSimulator,
  type TransportSimulator,
  type TransportSimulatorOptions,
} from "../../simulators/transport/server.ts";
/** The Secrets Manager value of an Ongoing simulator login: `{"username","password"}`, `<user>-password` by default. */
export const loginSecret = (username: string, password = `${username}-password`): string =>
  JSON.stringify({ username, password });

export interface LocalAwsOptions {
  /** Start the Secrets Manager stand-in with these secrets (name → string value). */
  readonly secrets?: Record<string, string>;
  /** Start dynalite and create the stack's tables, named `<tablePrefix>-state` and `<tablePrefix>-articles`. */
  readonly dynamo?: { readonly tablePrefix: string };
  /** More environment; as a function it is read when the servers started (so it may use another handle's URLs). */
  readonly env?: Record<string, string> | (() => Record<string, string>);
}

export interface LocalAws {
  readonly secrets: SecretsManagerStandIn;
  readonly dynamo: Emulator;
  readonly tables: { readonly state: string; readonly articles: string };
}

/**
 * Starts what `options` asks for before the tests, points the functions at it through the environment (local
 * credentials, the endpoints, `env`), and stops it and restores the environment after them.
 */
export function useLocalAws(options: LocalAwsOptions): LocalAws {
  let secrets: SecretsManagerStandIn | undefined;
  let dynamo: Emulator | undefined;
  let tables: LocalAws["tables"] | undefined;
  beforeAll(async () => {
    if (options.secrets) {
      secrets = await startSecretsManager(options.secrets);
      vi.stubEnv("AWS_ENDPOINT_URL_SECRETS_MANAGER", secrets.endpoint);
    }
    if (options.dynamo) {
      dynamo = await startDynamoDb();
      tables = await createStackTables(dynamo.endpoint, options.dynamo.tablePrefix);
      vi.stubEnv("AWS_ENDPOINT_URL_DYNAMODB", dynamo.endpoint);
    }
    vi.stubEnv("AWS_ACCESS_KEY_ID", "local");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", "local");
    const env = typeof options.env === "function" ? options.env() : (options.env ?? {});
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await secrets?.stop();
    await dynamo?.stop();
  });
  return {
    get secrets() {
      return started(secrets, "the Secrets Manager stand-in (useLocalAws({ secrets }))");
    },
    get dynamo() {
      return started(dynamo, "dynalite (useLocalAws({ dynamo }))");
    },
    get tables() {
      return started(tables, "the tables (useLocalAws({ dynamo }))");
    },
  };
}

/** The Ongoing simulator for the tests of this file or `describe`; `resetEach` resets its state before each test. */
export function useOngoingSimulator(
  options: OngoingSimulatorOptions & { readonly resetEach?: boolean } = {},
): OngoingSimulator {
  const { resetEach, ...simulatorOptions } = options;
  const simulator = useServer("the Ongoing simulator", () => startOngoingSimulator(simulatorOptions));
  if (resetEach) beforeEach(() => simulator.state.reset());
  return simulator;
}

/** The transport simulator for the tests of this file or `describe`, reset before each test. */
export function useTransportSimulator(options: TransportSimulatorOptions = {}): TransportSimulator {
  const simulator = useServer("the transport simulator", () => startTransportSimulator(options));
  beforeEach(() => simulator.reset());
  return simulator;
}

/**
 * Starts a server before the tests and stops it after them. The handle forwards to the started server, so it
 * can be a file-level constant.
 */
function useServer<T extends { stop(): Promise<void> }>(what: string, start: () => Promise<T>): T {
  let server: T | undefined;
  beforeAll(async () => {
    server = await start();
  });
  afterAll(async () => {
    await server?.stop();
  });
  return new Proxy({} as T, {
    get(_, key) {
      const target = started(server, what);
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

function started<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is not running: use it in a test or a later hook`);
  return value;
}
