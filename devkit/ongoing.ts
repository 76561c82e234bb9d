/**
 * Test orders and articles in the Ongoing simulator, made through its admin API, and its call and write records.
 * Every order carries personal data with fixed markers, so a log scan can tell whether any of it leaked.
 */

import { type ChildProcess, fork } from "node:child_process";
import pLimit from "p-limit";

/** Marks personal data in test orders; none of them may appear in any log line. */
export const personalDataMarkers = ["kund.example", "Kundsson", "Kundvagen", "Kundstaden", "Åsa Öberg"];
export const personalDataPattern = new RegExp(
  personalDataMarkers.map((marker) => marker.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"),
  "i",
);

export interface OngoingFault {
  readonly status?: number;
  readonly message?: string;
  readonly retryAfter?: string;
  readonly reset?: boolean;
  readonly delayMs?: number;
  readonly times?: number;
  readonly forMs?: number;
  readonly method?: string;
  readonly path?: string;
}

export interface OngoingWrite {
  readonly operation: string;
  readonly path: string;
  readonly status: number;
  readonly at: string;
}

const json = async <T>(response: Response): Promise<T> => {
  if (!response.ok) throw new Error(`${response.url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
};

/** Runs `work` over `items`, at most `limit` at a time; the results in the items' order. */
export function inPool<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const run = pLimit(limit);
  return Promise.all(items.map((item) => run(() => work(item))));
}

/** The Ongoing simulator in a process of its own (`simulators/ongoing/main.ts`), on a free port. */
export interface OngoingProcess {
  /** The REST API's base URL, as `ONGOING_BASE_URL` takes it. */
  readonly baseUrl: string;
  readonly adminUrl: string;
  /** Its default login (goods owner 159). */
  readonly username: string;
  readonly password: string;
  stop(): Promise<void>;
}

const simulatorMain = new URL("../simulators/ongoing/main.ts", import.meta.url).pathname;
const startTimeoutMs = 30_000;

export async function startOngoingProcess(
  options: {
    /** API users besides the default ones (one per goods owner, as Ongoing's goods-owner API users are). */
    users?: readonly { username: string; password: string; goodsOwnerId: number }[];
  } = {},
): Promise<OngoingProcess> {
  const child: ChildProcess = fork(simulatorMain, [], {
    execArgv: ["--import", "tsx"],
    env: {
      ...process.env,
      ONGOING_SIMULATOR_PORT: "0",
      ...(options.users ? { ONGOING_SIMULATOR_USERS: JSON.stringify(options.users) } : {}),
    },
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };
  try {
    const urls = await new Promise<{ baseUrl: string; adminUrl: string }>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the Ongoing simulator did not listen within ${startTimeoutMs} ms`)),
        startTimeoutMs,
      );
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`the Ongoing simulator exited (${code}) before it listened`));
      });
      // It says where it listens over the IPC channel.
      child.once("message", (message: { baseUrl: string; adminUrl: string }) => {
        clearTimeout(timer);
        resolve(message);
      });
    });
    return { ...urls, username: "demo", password: "demo-password", stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The personal data of test order `orderId`: unique per order, and every field carries a marker. */
export function customerOf(orderId: number) {
  return {
    email: `customer-${orderId}@kund.example`,
    name: orderId % 7 === 0 ? `Åsa Öberg ${orderId}` : `Karin Kundsson ${orderId}`,
    address1: `Kundvagen ${orderId}`,
    city: "Kundstaden",
  };
}

export class OngoingAdmin {
  constructor(readonly adminUrl: string) {}

  private url(path: string): string {
    return new URL(path, this.adminUrl).href;
  }

  private send(method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(this.url(path), {
      method,
      headers: { "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }

  /** Sent orders (status 450, transporter PLAB) cloned from seed order 60001, each with its own customer. */
  async createShippedOrders(orderIds: readonly number[]): Promise<void> {
    const template = await json<Record<string, Record<string, unknown>>>(
      await this.send("GET", "orders/60001"),
    );
    await inPool(orderIds, 16, async (orderId) => {
      const customer = customerOf(orderId);
      const order = {
        ...template,
        orderInfo: {
          ...template.orderInfo,
          orderId,
          orderNumber: `BENCH-${orderId}`,
          goodsOwnerOrderId: `WEB-${orderId}`,
          wayBill: null,
          emailNotification: { toBeNotified: true, value: customer.email },
        },
        consignee: {
          ...template.consignee,
          customerNumber: `C${orderId}`,
          name: customer.name,
          address1: customer.address1,
          city: customer.city,
        },
        parcels: [{ id: orderId * 10, parcelNumber: `00${orderId}0`, isReturnParcel: false }],
        tracking: [],
      };
      await json(await this.send("PUT", `orders/${orderId}`, order));
    });
  }

  /** Articles cloned from seed article 20001. */
  async createArticles(articleSystemIds: readonly number[]): Promise<void> {
    const template = await json<Record<string, unknown>>(await this.send("GET", "articles/20001"));
    await inPool(articleSystemIds, 16, async (articleSystemId) => {
      const article = {
        ...template,
        articleSystemId,
        articleNumber: `BENCH-${articleSystemId}`,
        articleName: `Bench article ${articleSystemId}`,
      };
      await json(await this.send("PUT", `articles/${articleSystemId}`, article));
    });
  }

  /**
   * `count` articles for a goods owner at once, from `firstArticleSystemId` on, each a copy of seed article 20001
   * last changed at `articleDataLastUpdated` (default now).
   */
  async generateArticles(spec: {
    goodsOwnerId: number;
    firstArticleSystemId: number;
    count: number;
    articleDataLastUpdated?: string;
  }): Promise<void> {
    await json(await this.send("POST", "articles/generate", { ...spec, templateArticleSystemId: 20001 }));
  }

  async renameArticle(articleSystemId: number, articleName: string): Promise<void> {
    await json(await this.send("PATCH", `articles/${articleSystemId}`, { articleName }));
  }

  async deleteArticle(articleSystemId: number): Promise<void> {
    await this.send("DELETE", `articles/${articleSystemId}`);
  }

  async addFault(fault: OngoingFault): Promise<void> {
    await json(await this.send("POST", "faults", fault));
  }

  async clearFaults(): Promise<void> {
    await this.send("DELETE", "faults");
  }

  async setLatency(latencyMs: number): Promise<void> {
    await json(await this.send("PUT", "latency", { latencyMs }));
  }

  /** Calls per operation since the last `clearCalls`, faulted ones included. */
  async calls(): Promise<Record<string, number>> {
    const answer = await json<{ byOperation?: Record<string, number> }>(await this.send("GET", "calls"));
    return answer.byOperation ?? (answer as Record<string, number>);
  }

  /** Clears the call counts and the write record. */
  async clearCalls(): Promise<void> {
    await this.send("DELETE", "calls");
  }

  async writes(): Promise<OngoingWrite[]> {
    return json(await this.send("GET", "writes"));
  }
}

export const totalCalls = (calls: Record<string, number>): number =>
  Object.values(calls).reduce((sum, count) => sum + count, 0);
