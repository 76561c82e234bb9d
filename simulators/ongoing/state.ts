/**
 * The Ongoing simulator's warehouse: orders, articles, files, injected faults, latency and the record of every
 * call and write, shared by the REST, SOAP, login and admin handlers. Tests in the same process control it directly.
 */
import { defaultOAuthClients, type OAuthClient, OAuthState } from "./oauth.ts";
import { buildSeed, type Json, type SimulatorUser } from "./seed.ts";

/** A fault to inject. Matches the next `times` calls (default 1), or every call for `forMs` when given. */
export interface FaultSpec {
  /** Answer with this status (and `{"Message": message}`). */
  status?: number;
  message?: string;
  /** The `Retry-After` header to send with the status (seconds or an HTTP date). */
  retryAfter?: string;
  /** Destroy the connection without an answer. */
  reset?: boolean;
  /** Wait this long first (longer than the client's time-out = a time-out); alone, the call then proceeds. */
  delayMs?: number;
  times?: number;
  forMs?: number;
  /** Only calls with this HTTP method. */
  method?: string;
  /** Only calls whose API path (e.g. `/orders/50163/waybill`, `/Automation.asmx/UpdateOrder`) matches this. */
  path?: string;
  /** Only calls whose request body matches this (e.g. `UpdateOrderTracking` among the `UpdateOrder` calls). */
  bodyPattern?: string;
  /** A SOAP call answers with a SOAP fault of this code (HTTP 500); `status: 500` alone gives a Server fault. */
  soapFaultCode?: "Client" | "Server";
  /**
   * The call is carried out first, then the fault spoils its answer (`delayMs` past the client's time-out,
   * `reset`, or `status`): the write took effect but the client cannot know it.
   */
  afterWrite?: boolean;
}

export interface Fault extends FaultSpec {
  id: number;
  remaining?: number;
  until?: string;
}

export interface WriteRecord {
  operation: string;
  method: string;
  path: string;
  body: unknown;
  goodsOwnerId: number;
  status: number;
  at: string;
  /** Writes for the same goods owner in flight when this one arrived (itself included). */
  concurrent: number;
}

export interface RecordedRequest {
  operation: string;
  method: string;
  path: string;
  /** Header names as sent, with their values (Authorization masked). */
  headers: Record<string, string>;
  at: string;
}

/** The recorded-requests list keeps the most recent this many. */
const recordedRequestLimit = 200;

export function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Objects merge key by key; anything else (arrays included) replaces. */
function deepMerge(target: Json, patch: Json): Json {
  const merged: Json = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    const current = merged[key];
    merged[key] = isObject(current) && isObject(value) ? deepMerge(current, value) : value;
  }
  return merged;
}

const clone = <T>(value: T): T => structuredClone(value);

export function orderIdOf(order: Json): number | undefined {
  const info = order.orderInfo;
  return isObject(info) && typeof info.orderId === "number" ? info.orderId : undefined;
}

export function goodsOwnerIdOf(resource: Json): number | undefined {
  const owner = resource.goodsOwner;
  return isObject(owner) && typeof owner.id === "number" ? owner.id : undefined;
}

/** An Ongoing time (UTC, maybe without a zone designator) as epoch milliseconds. */
export function parseOngoingTime(value: string): number {
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`);
}

/** The simulated warehouse and its records, for tests in the same process. */
export class OngoingSimulatorState {
  readonly orders = new Map<number, Json>();
  readonly articles = new Map<number, Json>();
  readonly files = new Map<number, Json[]>();
  readonly writes: WriteRecord[] = [];
  readonly requests: RecordedRequest[] = [];
  readonly calls = new Map<string, number>();
  faults: Fault[] = [];
  latencyMs: number;
  readonly users: SimulatorUser[];
  private nextFaultId = 1;
  private lastArticleUpdate = 0;
  /** Article ids per goods owner in ascending order (Ongoing's paging order), rebuilt after a change. */
  private readonly articleIndex = new Map<number, number[]>();
  readonly inFlightWrites = new Map<number, number>();
  /** The login service: OAuth clients, issued tokens and their lifetime. */
  readonly oauth: OAuthState;
  /** Larger request bodies are answered 413. */
  maxRequestBytes: number;

  constructor(
    private readonly seedMode: boolean | "official",
    private readonly initialLatencyMs: number,
    users: SimulatorUser[],
    maxRequestBytes = 30_000_000,
    oauthClients: OAuthClient[] = defaultOAuthClients,
  ) {
    this.users = users;
    this.oauth = new OAuthState(oauthClients);
    this.maxRequestBytes = maxRequestBytes;
    this.latencyMs = initialLatencyMs;
    this.reset();
  }

  /** Back to the seed: data, records, faults and latency. */
  reset(): void {
    this.orders.clear();
    this.articles.clear();
    this.articleIndex.clear();
    this.files.clear();
    this.writes.length = 0;
    this.requests.length = 0;
    this.calls.clear();
    this.faults = [];
    this.latencyMs = this.initialLatencyMs;
    this.oauth.reset();
    const seed = buildSeed(this.seedMode);
    for (const order of seed.orders) this.orders.set(orderIdOf(order) as number, order);
    for (const article of seed.articles) this.articles.set(article.articleSystemId as number, article);
  }

  /** A goods owner's article ids, ascending: built once per change, so paging a large catalogue stays cheap. */
  articleIdsOf(goodsOwnerId: number): readonly number[] {
    let ids = this.articleIndex.get(goodsOwnerId);
    if (!ids) {
      ids = [];
      for (const [id, article] of this.articles) if (goodsOwnerIdOf(article) === goodsOwnerId) ids.push(id);
      ids.sort((a, b) => a - b);
      this.articleIndex.set(goodsOwnerId, ids);
    }
    return ids;
  }

  private articleChanged(...goodsOwnerIds: (number | undefined)[]): void {
    for (const id of goodsOwnerIds) if (id !== undefined) this.articleIndex.delete(id);
  }

  /**
   * Many articles at once for a goods owner (a large catalogue for a benchmark): consecutive ids from
   * `firstArticleSystemId`, each a copy of `template` with its own number and name.
   */
  generateArticles(options: {
    goodsOwnerId: number;
    firstArticleSystemId: number;
    count: number;
    template?: Json;
    articleDataLastUpdated?: string;
  }): number {
    const { goodsOwnerId, firstArticleSystemId, count } = options;
    if (
      !Number.isInteger(firstArticleSystemId) ||
      !Number.isInteger(count) ||
      count < 0 ||
      count > 1_000_000
    ) {
      throw new Error("firstArticleSystemId and count (0–1000000) must be whole numbers");
    }
    const lastUpdated = options.articleDataLastUpdated ?? this.touch();
    for (let index = 0; index < count; index++) {
      const articleSystemId = firstArticleSystemId + index;
      const previous = this.articles.get(articleSystemId);
      this.articleChanged(previous && goodsOwnerIdOf(previous));
      this.articles.set(articleSystemId, {
        ...clone(options.template ?? {}),
        articleSystemId,
        articleNumber: `GEN-${goodsOwnerId}-${articleSystemId}`,
        articleName: `Generated article ${articleSystemId}`,
        goodsOwner: { id: goodsOwnerId },
        articleDataLastUpdated: lastUpdated,
      });
    }
    this.articleChanged(goodsOwnerId);
    return count;
  }

  /** Creates or replaces an order (`orderInfo.orderId` required, or given as `orderId`). */
  putOrder(order: Json, orderId = orderIdOf(order)): Json {
    if (orderId === undefined) throw new Error("orderInfo.orderId is required");
    if (goodsOwnerIdOf(order) === undefined) throw new Error("goodsOwner.id is required");
    const stored = clone(order);
    stored.orderInfo = { ...(isObject(stored.orderInfo) ? stored.orderInfo : {}), orderId };
    this.orders.set(orderId, stored);
    return clone(stored);
  }

  /** Merges a partial order into a stored one. */
  patchOrder(orderId: number, patch: Json): Json | undefined {
    const current = this.orders.get(orderId);
    if (!current) return undefined;
    return this.putOrder(deepMerge(current, patch), orderId);
  }

  deleteOrder(orderId: number): boolean {
    this.files.delete(orderId);
    return this.orders.delete(orderId);
  }

  /** Creates or replaces an article; `articleDataLastUpdated` is set to now unless given. */
  putArticle(article: Json, articleSystemId = article.articleSystemId as number | undefined): Json {
    if (typeof articleSystemId !== "number") throw new Error("articleSystemId is required");
    if (goodsOwnerIdOf(article) === undefined) throw new Error("goodsOwner.id is required");
    const stored: Json = { ...clone(article), articleSystemId };
    if (typeof stored.articleDataLastUpdated !== "string") stored.articleDataLastUpdated = this.touch();
    const previous = this.articles.get(articleSystemId);
    if (!previous || goodsOwnerIdOf(previous) !== goodsOwnerIdOf(stored)) {
      this.articleChanged(previous && goodsOwnerIdOf(previous), goodsOwnerIdOf(stored));
    }
    this.articles.set(articleSystemId, stored);
    return clone(stored);
  }

  /** Merges a partial article into a stored one and bumps `articleDataLastUpdated`. */
  patchArticle(articleSystemId: number, patch: Json): Json | undefined {
    const current = this.articles.get(articleSystemId);
    if (!current) return undefined;
    const merged = deepMerge(current, patch);
    merged.articleDataLastUpdated = this.touch();
    return this.putArticle(merged, articleSystemId);
  }

  deleteArticle(articleSystemId: number): boolean {
    const previous = this.articles.get(articleSystemId);
    this.articleChanged(previous && goodsOwnerIdOf(previous));
    return this.articles.delete(articleSystemId);
  }

  /** A strictly increasing "now", so every change is visible to a changed-since query. */
  touch(): string {
    this.lastArticleUpdate = Math.max(Date.now(), this.lastArticleUpdate + 1);
    return new Date(this.lastArticleUpdate).toISOString();
  }

  callCounts(): Record<string, number> {
    return Object.fromEntries([...this.calls.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  totalCalls(): number {
    let total = 0;
    for (const count of this.calls.values()) total += count;
    return total;
  }

  /** Forgets call counts, recorded requests and writes. */
  clearCalls(): void {
    this.calls.clear();
    this.requests.length = 0;
    this.writes.length = 0;
  }

  addFault(spec: FaultSpec): Fault {
    if (spec.path !== undefined) new RegExp(spec.path);
    if (spec.bodyPattern !== undefined) new RegExp(spec.bodyPattern);
    const fault: Fault = { ...spec, id: this.nextFaultId++ };
    if (spec.forMs !== undefined) fault.until = new Date(Date.now() + spec.forMs).toISOString();
    else fault.remaining = spec.times ?? 1;
    this.faults.push(fault);
    return { ...fault };
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** The first live fault matching a call, consumed by one. */
  takeFault(method: string, path: string, body = ""): Fault | undefined {
    const now = Date.now();
    this.faults = this.faults.filter(
      (fault) => (fault.remaining ?? 1) > 0 && (fault.until === undefined || Date.parse(fault.until) > now),
    );
    const fault = this.faults.find(
      (candidate) =>
        (candidate.method === undefined || candidate.method.toUpperCase() === method) &&
        (candidate.path === undefined || new RegExp(candidate.path).test(path)) &&
        (candidate.bodyPattern === undefined || new RegExp(candidate.bodyPattern).test(body)),
    );
    if (fault?.remaining !== undefined) fault.remaining--;
    return fault;
  }

  count(operation: string): void {
    this.calls.set(operation, (this.calls.get(operation) ?? 0) + 1);
  }

  /** Counts a call and keeps its request (the most recent ones only). */
  recordCall(request: Omit<RecordedRequest, "at">): void {
    this.count(request.operation);
    this.requests.push({ ...request, at: new Date().toISOString() });
    if (this.requests.length > recordedRequestLimit) this.requests.shift();
  }
}
