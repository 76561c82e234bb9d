/**
 * The local stack's ports, token and Ongoing target: defaults, each overridable by an environment variable
 * (docs/local-and-simulators.md lists them). The CLIs read the same defaults, so they find a running local stack
 * unasked.
 */

/** A port the local stack listens on, with the variable that moves it. */
export interface PortSetting {
  readonly name: string;
  readonly variable: string;
  readonly port: number;
}

export const portVariables = {
  ingress: { variable: "LOCAL_INGRESS_PORT", port: 3000 },
  ongoing: { variable: "ONGOING_SIMULATOR_PORT", port: 3001 },
  transport: { variable: "TRANSPORT_SIMULATOR_PORT", port: 3002 },
  nshift: { variable: "NSHIFT_SIMULATOR_PORT", port: 3004 },
  secretsManager: { variable: "SECRETS_MANAGER_PORT", port: 3003 },
  ses: { variable: "SES_PORT", port: 8005 },
  dynamodb: { variable: "DYNAMODB_PORT", port: 8000 },
  sqs: { variable: "SQS_PORT", port: 9324 },
} as const;

export type PortName = keyof typeof portVariables;

/** An external Ongoing server the pipeline talks to instead of the simulator. */
export interface ExternalOngoing {
  readonly baseUrl: string;
  readonly username: string;
  readonly password: string;
}

export interface LocalDefaults {
  readonly host: string;
  readonly ports: Record<PortName, number>;
  readonly ingressUrl: string;
  readonly webhookToken: string;
  readonly goodsOwnerId: number;
  /** Set when ONGOING_BASE_URL points the pipeline at another Ongoing (the simulator is then not started). */
  readonly externalOngoing: ExternalOngoing | undefined;
  /** Goods owners booked through the nShift simulator (LOCAL_NSHIFT_GOODS_OWNERS, comma-separated). @default none */
  readonly nshiftGoodsOwnerIds: readonly number[];
  /** ONGOING_AUTH: how goods owners' own secrets log in to the simulator. @default "basic" */
  readonly ongoingAuth: "basic" | "oauth";
}

function portFrom(env: NodeJS.ProcessEnv, name: PortName): number {
  const { variable, port } = portVariables[name];
  const raw = env[variable];
  if (raw === undefined || raw === "") return port;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65_535) {
    throw new Error(`${variable}=${raw} is not a port number (0-65535)`);
  }
  return value;
}

function nshiftGoodsOwnersFrom(env: NodeJS.ProcessEnv): number[] {
  const raw = (env.LOCAL_NSHIFT_GOODS_OWNERS ?? "").trim();
  if (raw === "") return [];
  const ids = raw.split(",").map((id) => id.trim());
  if (!ids.every((id) => /^[1-9]\d*$/.test(id)))
    throw new Error(`LOCAL_NSHIFT_GOODS_OWNERS=${raw} is not a comma-separated list of goods-owner ids`);
  return ids.map(Number);
}

function goodsOwnerIdFrom(env: NodeJS.ProcessEnv): number {
  const raw = env.ONGOING_GOODS_OWNER_ID || "159";
  if (!/^[1-9]\d*$/.test(raw))
    throw new Error(`ONGOING_GOODS_OWNER_ID=${raw} is not a goods-owner id (a positive integer)`);
  return Number(raw);
}

function ongoingAuthFrom(env: NodeJS.ProcessEnv): "basic" | "oauth" {
  const raw = env.ONGOING_AUTH || "basic";
  if (raw !== "basic" && raw !== "oauth") throw new Error(`ONGOING_AUTH=${raw} is not "basic" or "oauth"`);
  return raw;
}

export function localDefaults(env: NodeJS.ProcessEnv = process.env): LocalDefaults {
  const ports = Object.fromEntries(
    (Object.keys(portVariables) as PortName[]).map((name) => [name, portFrom(env, name)]),
  ) as Record<PortName, number>;
  const host = env.LOCAL_HOST || "127.0.0.1";
  const baseUrl = env.ONGOING_BASE_URL;
  return {
    host,
    ports,
    ingressUrl: env.LOCAL_INGRESS_URL || `http://${host}:${ports.ingress}`,
    webhookToken: env.WEBHOOK_TOKEN || "local-dev-token",
    goodsOwnerId: goodsOwnerIdFrom(env),
    ongoingAuth: ongoingAuthFrom(env),
    externalOngoing: baseUrl
      ? { baseUrl, username: env.ONGOING_USERNAME ?? "", password: env.ONGOING_PASSWORD ?? "" }
      : undefined,
    nshiftGoodsOwnerIds: nshiftGoodsOwnersFrom(env),
  };
}
