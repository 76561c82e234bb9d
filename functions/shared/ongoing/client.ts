/**
 * The Ongoing WMS REST client (API v1) for one goods owner: Basic auth or an OAuth 2.0 bearer token (oauth.ts),
 * chosen by the shape of the goods owner's secret; a time-out on every request, retries
 * with backoff for what may heal (429, 5xx, resets, time-outs) bounded by the Lambda's remaining time, and the
 * failure classes the pipeline speaks (NotFoundError, PermanentError, TransientError). Writes for one goods
 * owner run one at a time per container, as Ongoing advises.
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import * as z from "zod";
import { dependencyAnswered } from "../breaker/answers.ts";
import { NotFoundError, PermanentError, TransientError } from "../errors.ts";
import { credentialsSecretFor } from "../goods-owners.ts";
import { HttpNetworkError, type HttpRequest, type HttpResponse, sendHttp } from "../http.ts";
import { dimensionedMetrics } from "../powertools/dimensioned-metrics.ts";
import { logger } from "../powertools/logger.ts";
import { getSecretJson } from "../secrets.ts";
import { ongoingSettingsSchema, readSettings } from "../settings.ts";
import { articleSchema, type OngoingArticle, type OngoingOrder, orderSchema } from "./model.ts";
import { accessToken, defaultTokenUrl } from "./oauth.ts";
import { backoffDelayMs, parseRetryAfter } from "./retry.ts";

/** An API user's name and password (HTTP Basic; the SOAP body's UserName and Password). */
export interface BasicCredentials {
  username: string;
  password: string;
}

/** An OAuth 2.0 access token from Ongoing's login service. */
export interface BearerCredentials {
  accessToken: string;
}

export type OngoingCredentials = BasicCredentials | BearerCredentials;

export interface CredentialsRequest {
  /** Read the secret again (a 401 came back: it may have been rotated). */
  forceFetch?: boolean;
  /** The credentials the 401 answered: a refused token is replaced, unless another call already did. */
  rejected?: OngoingCredentials;
  /** The calling client's time-outs and remaining time, for a token request. */
  budget?: OngoingCallBudget;
}

export interface OngoingClientOptions {
  /** `…/{warehouse}/api/v1/` */
  baseUrl: string;
  /** The client speaks for one goods owner (its credentials). */
  goodsOwnerId: number;
  /** Called before each request; asked to `forceFetch` once after a 401, in case the secret was rotated. */
  credentials: (options?: CredentialsRequest) => Promise<OngoingCredentials>;
  /** Per request, default 10000. */
  timeoutMs?: number;
  /** Default 4. */
  maxAttempts?: number;
  /** The Lambda's remaining time: retries never run past it. */
  remainingTimeMs?: () => number;
}

export interface OngoingClient {
  /** Throws NotFoundError on 404. */
  getOrder(orderId: number): Promise<OngoingOrder>;
  findOrderByNumber(orderNumber: string): Promise<OngoingOrder | undefined>;
  /** Throws NotFoundError on 404. */
  getArticle(articleSystemId: number): Promise<OngoingArticle>;
  listArticles(query: {
    articleSystemIdFrom?: number;
    maxArticlesToGet?: number;
    articleDataLastUpdatedFrom?: string;
  }): Promise<OngoingArticle[]>;
  /** All pages (cursor = last articleSystemId + 1) until an empty page. */
  pageArticles(query: {
    pageSize?: number;
    articleDataLastUpdatedFrom?: string;
  }): AsyncIterable<OngoingArticle[]>;
  patchWaybill(orderId: number, waybill: string): Promise<void>;
  putOrderTracking(
    orderId: number,
    tracking: { waybill: string; trackingUrl: string; isReturnTracking: boolean },
  ): Promise<void>;
  putParcel(
    orderId: number,
    parcel: { parcelNumber: string; transportAdministrationType?: "delivery" | "return" },
  ): Promise<void>;
  /** `PATCH orders/{id}/returnWaybill` (Ongoing's REST example): sets the order's return waybill. */
  patchReturnWaybill(orderId: number, returnWaybill: string): Promise<void>;
  /** `fileWillBeDeletedAt` lets Ongoing remove the file (the REST name of SOAP's `FileWillBeDeletedAt`). */
  postOrderFile(
    orderId: number,
    file: {
      fileName: string;
      mimeType: string;
      fileDataBase64: string;
      fileWillBeDeletedAt?: Date | undefined;
    },
  ): Promise<void>;
  /** The files attached to an order (names and types, not their content). Throws NotFoundError on 404. */
  getOrderFiles(orderId: number): Promise<OngoingFile[]>;
}

/** A file attached to an order, as listed (REST `GET orders/{id}/files`, SOAP `GetFileList`). */
export interface OngoingFile {
  readonly fileName: string;
  readonly mimeType?: string | undefined;
}

/**
 * A write that failed in a way that may have taken effect all the same (a time-out, a cut connection, a 5xx):
 * it is not repeated blindly. Whoever retries it re-reads what Ongoing has first and writes only what is missing.
 */
export class OngoingWriteUnknownError extends TransientError {
  override readonly name = "OngoingWriteUnknownError";
  /** `unanswered`: Ongoing failed (5xx, time-out, cut connection), so it counts towards Ongoing's breaker. */
  constructor(failure: OngoingFailure, options: { unanswered?: boolean } = {}) {
    super("ongoing-write-unknown", `${failure.message} (the write may have taken effect: not repeated)`, {
      retryAfterMs: failure.retryAfterMs,
      ...(options.unanswered ? { dependency: "ongoing" as const } : {}),
    });
  }
}

export type OngoingOperation = keyof OngoingClient;

/** Sent on every request so Ongoing can tell our calls apart. */
export const userAgent = "ongoing-webhooks/0.1 (node)";
/** Time kept back from the Lambda's remaining time for recording the outcome. */
const safetyMarginMs = 1_000;
/** An attempt with less time than this is not worth starting. */
const minimumAttemptMs = 250;
/** A longer `Retry-After` is handed to the queue (message delay) instead of waited out in the Lambda. */
const maxInlineWaitMs = 10_000;
const defaultPageSize = 200;

interface CallSpec {
  operation: OngoingOperation;
  method: "GET" | "PATCH" | "PUT" | "POST";
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** False for a write that adds something each time it is made (a file, a parcel row). @default true */
  repeatable?: boolean;
}

/** Why an attempt failed in a way that may heal. */
export interface OngoingFailure {
  code: string;
  message: string;
  retryAfterMs?: number;
}

/** One attempt's verdict on an HTTP answer; a failure that will not heal is thrown instead. */
export type OngoingAnswer<T> =
  | { done: T }
  | { retry: OngoingFailure }
  /** Read the credentials again and repeat once (the secret may have been rotated); else fail permanently. */
  | { reauthenticate: { code: string; message: string } };

/** One logical call to an Ongoing API (REST or SOAP), attempted until it succeeds or may not go on. */
export interface OngoingCall<T> {
  operation: string;
  method: HttpRequest["method"];
  url: string;
  /** Headers and body of one attempt, from credentials read for it (again when `forceFetch`). */
  prepare: (forceFetch: boolean) => Promise<{ headers: Record<string, string>; body?: string }>;
  interpret: (response: HttpResponse) => OngoingAnswer<T>;
  /**
   * False for a write that adds something each time (a file, a parcel or tracking row): an attempt that may have
   * taken effect is not repeated (OngoingWriteUnknownError); one that surely did not (429, refused) still is.
   * @default true
   */
  repeatable?: boolean;
}

export interface OngoingCallBudget {
  timeoutMs: number;
  maxAttempts: number;
  remainingTimeMs: () => number;
}

// Per goods owner and base URL, the tail of the chain of writes in flight in this container.
const writeQueues = new Map<string, Promise<void>>();

/** Runs tasks with the same key one at a time, in order (Ongoing runs writes per goods owner one at a time). */
export function serialized<T>(key: string, task: () => Promise<T>): Promise<T> {
  const previous = writeQueues.get(key) ?? Promise.resolve();
  const run = previous.then(task);
  const tail = run.then(
    () => undefined,
    () => undefined,
  );
  writeQueues.set(key, tail);
  void tail.then(() => {
    if (writeQueues.get(key) === tail) writeQueues.delete(key);
  });
  return run;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function statusClass(status: number | undefined): string {
  return status === undefined ? "network" : `${Math.floor(status / 100)}xx`;
}

function recordCall(operation: string, status: number | undefined, latencyMs: number): void {
  const dimensions = { operation, statusClass: statusClass(status) };
  dimensionedMetrics.add(dimensions, "OngoingApiCall", MetricUnit.Count, 1);
  dimensionedMetrics.add(dimensions, "OngoingApiLatency", MetricUnit.Milliseconds, latencyMs);
}

/** Ongoing's own words from an error body (`{"Message": ...}`), shortened; never our request data. */
function ongoingMessage(body: string): string {
  try {
    const parsed = JSON.parse(body.replace(/^\uFEFF/, "")) as { Message?: unknown; message?: unknown };
    const message = parsed.Message ?? parsed.message;
    if (typeof message === "string" && message !== "") return message.slice(0, 300);
  } catch {
    // Not JSON (e.g. an HTML error page): say nothing rather than echo it.
  }
  return "no message";
}

const permanentCodes: Record<number, string> = {
  400: "ongoing-bad-request",
  401: "ongoing-unauthorized",
  403: "ongoing-forbidden",
};

/** Whether a failed attempt may have changed something on Ongoing's side: only a refusal before work says no. */
function mayHaveTakenEffect(
  response: HttpResponse | undefined,
  error: HttpNetworkError | undefined,
): boolean {
  if (response) return response.status !== 408 && response.status !== 425 && response.status !== 429;
  return error?.code !== "ECONNREFUSED";
}

/** An Ongoing call at least this slow is logged at INFO (see docs/operations-queries.md). */
export const slowCallMs = 1_000;

function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/**
 * What a non-2xx HTTP status means, the same for every Ongoing API: 404 not found, 401 re-read credentials
 * once, other 4xx permanent, 408/425/429/5xx transient (with `Retry-After` when sent). `detail` is Ongoing's
 * own message, already made safe to log.
 */
export function statusAnswer(
  operation: string,
  response: HttpResponse,
  detail: string,
): OngoingAnswer<never> {
  const { status } = response;
  const message = `Ongoing ${operation} answered ${status}: ${detail}`;
  if (status === 404) throw new NotFoundError(`Ongoing ${operation}: not found (${detail})`);
  if (status === 401) return { reauthenticate: { code: "ongoing-unauthorized", message } };
  if (!isRetryableStatus(status)) {
    throw new PermanentError(permanentCodes[status] ?? "ongoing-rejected", message);
  }
  return {
    retry: {
      code: status === 429 ? "ongoing-throttled" : "ongoing-unavailable",
      message,
      retryAfterMs: parseRetryAfter(response.headers["retry-after"]),
    },
  };
}

function outOfTime(operation: string, last: OngoingFailure | undefined): TransientError {
  if (last) {
    return new TransientError(last.code, `${last.message} (no time to retry)`, {
      retryAfterMs: last.retryAfterMs,
      dependency: "ongoing",
    });
  }
  return new TransientError("ongoing-no-time", `Ongoing ${operation}: no time left for a request`);
}

/**
 * Attempts a call with a time-out each, retrying what may heal with backoff (or Ongoing's `Retry-After`),
 * never past the Lambda's remaining time; every attempt is counted and timed in metrics.
 */
export async function callOngoing<T>(call: OngoingCall<T>, budget: OngoingCallBudget): Promise<T> {
  let forceFetch = false;
  let reauthenticated = false;
  let last: OngoingFailure | undefined;
  for (let attempt = 1; ; attempt++) {
    const available = budget.remainingTimeMs() - safetyMarginMs;
    if (available < minimumAttemptMs) throw outOfTime(call.operation, last);
    const { headers, body } = await call.prepare(forceFetch);
    forceFetch = false;
    const started = performance.now();
    let response: HttpResponse | undefined;
    let networkError: HttpNetworkError | undefined;
    try {
      response = await sendHttp({
        method: call.method,
        url: call.url,
        headers,
        body,
        timeoutMs: Math.min(budget.timeoutMs, available),
      });
    } catch (error) {
      if (!(error instanceof HttpNetworkError)) throw error;
      networkError = error;
      last = {
        code: error.timedOut ? "ongoing-timeout" : "ongoing-network",
        message: `Ongoing ${call.operation} ${error.message}`,
      };
    }
    const latencyMs = Math.round(performance.now() - started);
    recordCall(call.operation, response?.status, latencyMs);
    // Slow or failed calls at INFO, so the operators' "slowest Ongoing calls" query finds them; the rest at DEBUG.
    const notable = latencyMs >= slowCallMs || !response || isRetryableStatus(response.status);
    (notable ? logger.info : logger.debug).call(logger, "Ongoing API call", {
      operation: call.operation,
      method: call.method,
      status: response?.status ?? last?.code,
      attempt,
      latencyMs,
    });

    if (response) {
      if (!isRetryableStatus(response.status)) dependencyAnswered("ongoing");
      const answer = call.interpret(response);
      if ("done" in answer) return answer.done;
      if ("reauthenticate" in answer) {
        if (!reauthenticated) {
          reauthenticated = true;
          forceFetch = true;
          attempt--;
          continue;
        }
        throw new PermanentError(answer.reauthenticate.code, answer.reauthenticate.message);
      }
      last = answer.retry;
    }
    const failure = last as OngoingFailure;
    if (call.repeatable === false && mayHaveTakenEffect(response, networkError)) {
      // A 5xx or a lost connection is Ongoing's failure, not this message's: writes failing alone open the breaker.
      throw new OngoingWriteUnknownError(failure, {
        unanswered: networkError !== undefined || (response?.status ?? 0) >= 500,
      });
    }
    if (attempt >= budget.maxAttempts) {
      throw new TransientError(failure.code, `${failure.message} (after ${attempt} attempts)`, {
        retryAfterMs: failure.retryAfterMs,
        dependency: "ongoing",
      });
    }
    const delayMs = failure.retryAfterMs ?? backoffDelayMs(attempt);
    if (delayMs > maxInlineWaitMs || budget.remainingTimeMs() - safetyMarginMs - delayMs < minimumAttemptMs) {
      throw new TransientError(failure.code, `${failure.message} (no time to retry)`, {
        retryAfterMs: failure.retryAfterMs,
        dependency: "ongoing",
      });
    }
    await sleep(delayMs);
  }
}

/** HTTP Basic credentials as Ongoing expects them. */
export function basicAuthorization(credentials: BasicCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, "utf8").toString("base64")}`;
}

/** The `Authorization` header for either kind of credentials. */
export function authorization(credentials: OngoingCredentials): string {
  return "accessToken" in credentials ? `Bearer ${credentials.accessToken}` : basicAuthorization(credentials);
}

/**
 * The credentials for one attempt of one call: asked again after a 401 with the ones refused, so a refused token
 * is replaced (once, however many calls were refused at the same time).
 */
export function credentialsPerAttempt(
  credentials: OngoingClientOptions["credentials"],
  budget: OngoingCallBudget,
): (forceFetch: boolean) => Promise<OngoingCredentials> {
  let used: OngoingCredentials | undefined;
  return async (forceFetch) => {
    used = await credentials(forceFetch ? { forceFetch, rejected: used, budget } : { budget });
    return used;
  };
}

export function createOngoingClient(options: OngoingClientOptions): OngoingClient {
  const baseUrl = options.baseUrl.endsWith("/") ? options.baseUrl : `${options.baseUrl}/`;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxAttempts = options.maxAttempts ?? 4;
  const remainingTimeMs = options.remainingTimeMs ?? (() => Number.POSITIVE_INFINITY);
  const goodsOwnerId = options.goodsOwnerId;
  const writeQueueKey = `${baseUrl}#${goodsOwnerId}`;

  function urlFor(spec: CallSpec): string {
    const url = new URL(spec.path, baseUrl);
    for (const [name, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    return url.toString();
  }

  const budget: OngoingCallBudget = { timeoutMs, maxAttempts, remainingTimeMs };

  function send(spec: CallSpec): Promise<HttpResponse> {
    const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    const credentialsFor = credentialsPerAttempt(options.credentials, budget);
    return callOngoing(
      {
        operation: spec.operation,
        method: spec.method,
        url: urlFor(spec),
        ...(spec.repeatable === false ? { repeatable: false } : {}),
        async prepare(forceFetch) {
          const headers: Record<string, string> = {
            Authorization: authorization(await credentialsFor(forceFetch)),
            Accept: "application/json",
            "User-Agent": userAgent,
          };
          if (body !== undefined) headers["Content-Type"] = "application/json; charset=utf-8";
          return { headers, body };
        },
        interpret(response) {
          if (response.status >= 200 && response.status < 300) return { done: response };
          return statusAnswer(spec.operation, response, ongoingMessage(response.body));
        },
      },
      budget,
    );
  }

  async function getJson<T>(spec: CallSpec, schema: z.ZodType<T>): Promise<T> {
    const response = await send(spec);
    let parsed: unknown;
    try {
      parsed = JSON.parse(response.body.replace(/^\uFEFF/, ""));
    } catch (error) {
      throw new TransientError(
        "ongoing-unexpected-response",
        `Ongoing ${spec.operation}: the answer is not JSON`,
        // A 2xx page that is not JSON is what a maintenance page looks like: an outage, not this message's fault.
        { cause: error, dependency: "ongoing" },
      );
    }
    const result = schema.safeParse(parsed);
    if (!result.success) {
      const where = result.error.issues.map((issue) => issue.path.join(".")).join(", ");
      throw new PermanentError(
        "ongoing-unexpected-response",
        `Ongoing ${spec.operation}: the answer does not match the model (${where})`,
      );
    }
    return result.data;
  }

  function checkGoodsOwner(operation: OngoingOperation, order: OngoingOrder): OngoingOrder {
    if (order.goodsOwner.id !== goodsOwnerId) {
      throw new PermanentError(
        "ongoing-goods-owner-mismatch",
        `Ongoing ${operation}: the order belongs to goods owner ${order.goodsOwner.id}, not ${goodsOwnerId}`,
      );
    }
    return order;
  }

  async function write(spec: CallSpec): Promise<void> {
    await serialized(writeQueueKey, () => send(spec));
  }

  const client: OngoingClient = {
    async getOrder(orderId) {
      const order = await getJson(
        { operation: "getOrder", method: "GET", path: `orders/${orderId}` },
        orderSchema,
      );
      return checkGoodsOwner("getOrder", order);
    },

    async findOrderByNumber(orderNumber) {
      const spec: CallSpec = {
        operation: "findOrderByNumber",
        method: "GET",
        path: "orders",
        query: { goodsOwnerId, orderNumber },
      };
      try {
        const orders = await getJson(spec, z.array(orderSchema));
        const order =
          orders.find((candidate) => candidate.orderInfo.orderNumber === orderNumber) ?? orders[0];
        return order ? checkGoodsOwner("findOrderByNumber", order) : undefined;
      } catch (error) {
        if (error instanceof NotFoundError) return undefined;
        throw error;
      }
    },

    getArticle(articleSystemId) {
      return getJson(
        { operation: "getArticle", method: "GET", path: `articles/${articleSystemId}` },
        articleSchema,
      );
    },

    listArticles(query) {
      return getJson(
        {
          operation: "listArticles",
          method: "GET",
          path: "articles",
          query: {
            goodsOwnerId,
            articleSystemIdFrom: query.articleSystemIdFrom,
            maxArticlesToGet: query.maxArticlesToGet,
            articleDataLastUpdatedFrom: query.articleDataLastUpdatedFrom,
          },
        },
        z.array(articleSchema),
      );
    },

    async *pageArticles(query) {
      const pageSize = query.pageSize ?? defaultPageSize;
      let articleSystemIdFrom = 0;
      for (;;) {
        const page = await client.listArticles({
          articleSystemIdFrom,
          maxArticlesToGet: pageSize,
          articleDataLastUpdatedFrom: query.articleDataLastUpdatedFrom,
        });
        if (page.length === 0) return;
        yield page;
        articleSystemIdFrom = Math.max(...page.map((article) => article.articleSystemId)) + 1;
      }
    },

    patchWaybill(orderId, waybill) {
      return write({
        operation: "patchWaybill",
        method: "PATCH",
        path: `orders/${orderId}/waybill`,
        body: { waybill },
      });
    },

    patchReturnWaybill(orderId, returnWaybill) {
      return write({
        operation: "patchReturnWaybill",
        method: "PATCH",
        path: `orders/${orderId}/returnWaybill`,
        body: { returnWaybill },
      });
    },

    putOrderTracking(orderId, tracking) {
      return write({
        operation: "putOrderTracking",
        method: "PUT",
        path: `orders/${orderId}/orderTracking`,
        // Ongoing's documentation does not say a second PUT replaces the first: treated as adding a row.
        repeatable: false,
        body: {
          waybill: tracking.waybill,
          trackingUrl: tracking.trackingUrl,
          isReturnTracking: tracking.isReturnTracking,
        },
      });
    },

    putParcel(orderId, parcel) {
      return write({
        operation: "putParcel",
        method: "PUT",
        path: `orders/${orderId}/parcels`,
        repeatable: false,
        body: {
          parcelNumber: parcel.parcelNumber,
          transportAdministrationType: parcel.transportAdministrationType ?? "delivery",
        },
      });
    },

    postOrderFile(orderId, file) {
      return write({
        operation: "postOrderFile",
        method: "POST",
        path: `orders/${orderId}/files`,
        repeatable: false,
        body: {
          fileName: file.fileName,
          mimeType: file.mimeType,
          fileDataBase64: file.fileDataBase64,
          ...(file.fileWillBeDeletedAt
            ? { fileWillBeDeletedAt: file.fileWillBeDeletedAt.toISOString() }
            : {}),
        },
      });
    },

    async getOrderFiles(orderId) {
      // Ongoing documents the call but not its answer: any entry naming a file counts, however it is wrapped.
      const listing = await getJson(
        { operation: "getOrderFiles", method: "GET", path: `orders/${orderId}/files` },
        z.unknown(),
      );
      return filesIn(listing);
    },
  };
  return client;
}

/** Every object in a file listing with a file name (`fileName`, any case), with its MIME type when given. */
function filesIn(value: unknown): OngoingFile[] {
  if (Array.isArray(value)) return value.flatMap(filesIn);
  if (typeof value !== "object" || value === null) return [];
  const entries = Object.entries(value);
  const field = (name: string) => entries.find(([key]) => key.toLowerCase() === name)?.[1];
  const fileName = field("filename");
  if (typeof fileName === "string" && fileName !== "") {
    const mimeType = field("mimetype");
    return [{ fileName, mimeType: typeof mimeType === "string" ? mimeType : undefined }];
  }
  return entries.flatMap(([, nested]) => filesIn(nested));
}

const basicLoginSchema = z.object({ username: z.string().min(1), password: z.string().min(1) });
const oauthLoginSchema = z.object({ clientId: z.string().min(1), clientSecret: z.string().min(1) });

/** The secret's login; exactly one of the two shapes (other keys are ignored, as before OAuth). */
async function readLogin(secretName: string, forceFetch: boolean) {
  const value = await getSecretJson(secretName, { forceFetch });
  const basic = basicLoginSchema.safeParse(value);
  const oauth = oauthLoginSchema.safeParse(value);
  if (basic.success && !oauth.success) return basic.data;
  if (oauth.success && !basic.success) return oauth.data;
  throw new PermanentError(
    "ongoing-credentials-invalid",
    `secret "${secretName}" holds ${basic.success ? "both" : "neither"} {"username","password"} (Basic) ` +
      `${basic.success ? "and" : "nor"} {"clientId","clientSecret"} (OAuth)`,
  );
}

/** Where OAuth tokens come from. */
export interface TokenSettings {
  /** @default Ongoing's login service, https://login.ongoingwms.com/connect/token */
  tokenUrl?: string | undefined;
  /** Space-separated scopes. @default none */
  scope?: string | undefined;
}

const unboundedBudget: OngoingCallBudget = {
  timeoutMs: 10_000,
  maxAttempts: 4,
  remainingTimeMs: () => Number.POSITIVE_INFINITY,
};

/**
 * Credentials from a secret whose shape names the scheme: `{"username","password"}` is Basic, and
 * `{"clientId","clientSecret"}` is OAuth 2.0 client credentials (a cached access token). Any other shape is a
 * configuration error (values never reported).
 */
export function credentialsFromSecret(
  secretName: string,
  token: TokenSettings = {},
): OngoingClientOptions["credentials"] {
  const source = {
    tokenUrl: token.tokenUrl ?? defaultTokenUrl,
    scope: token.scope,
    describe: `secret "${secretName}"`,
    async clientCredentials({ forceFetch }: { forceFetch: boolean }) {
      const login = await readLogin(secretName, forceFetch);
      if (!("clientId" in login)) {
        throw new PermanentError("ongoing-credentials-invalid", `secret "${secretName}" changed scheme`);
      }
      return login;
    },
  };
  return async (options) => {
    const login = await readLogin(secretName, options?.forceFetch ?? false);
    if ("username" in login) return login;
    const rejected = options?.rejected;
    return {
      accessToken: await accessToken(source, options?.budget ?? unboundedBudget, {
        ...(rejected && "accessToken" in rejected ? { rejected: rejected.accessToken } : {}),
      }),
    };
  };
}

/** The function's token endpoint and scopes (ONGOING_TOKEN_URL, ONGOING_TOKEN_SCOPE). */
export function tokenSettingsOf(settings: z.output<typeof ongoingSettingsSchema>): TokenSettings {
  return { tokenUrl: settings.ONGOING_TOKEN_URL, scope: settings.ONGOING_TOKEN_SCOPE };
}

let settings: z.output<typeof ongoingSettingsSchema> | undefined;
const clientsByGoodsOwner = new Map<number, { options: OngoingClientOptions; client: OngoingClient }>();

/**
 * The client for a goods owner as configured by the function's settings (ongoingSettingsSchema): base URL,
 * timeout, attempts, and credentials from the goods owner's secret in GOODS_OWNERS or else
 * ONGOING_CREDENTIALS_SECRET. Cached per goods owner per container; a `remainingTimeMs` gives a light client
 * for this invocation over the same cached configuration. Throws PermanentError `no-credentials` when the goods
 * owner has neither.
 */
export function ongoingClientFor(
  goodsOwnerId: number,
  options?: { remainingTimeMs?: () => number },
): OngoingClient {
  let cached = clientsByGoodsOwner.get(goodsOwnerId);
  if (!cached) {
    settings ??= readSettings(ongoingSettingsSchema);
    const secretName = credentialsSecretFor(goodsOwnerId, settings);
    const clientOptions: OngoingClientOptions = {
      baseUrl: settings.ONGOING_BASE_URL,
      goodsOwnerId,
      credentials: credentialsFromSecret(secretName, tokenSettingsOf(settings)),
      timeoutMs: settings.ONGOING_REQUEST_TIMEOUT_MS,
      maxAttempts: settings.ONGOING_MAX_ATTEMPTS,
    };
    cached = { options: clientOptions, client: createOngoingClient(clientOptions) };
    clientsByGoodsOwner.set(goodsOwnerId, cached);
  }
  if (!options?.remainingTimeMs) return cached.client;
  return createOngoingClient({ ...cached.options, remainingTimeMs: options.remainingTimeMs });
}
