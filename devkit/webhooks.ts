/** Posting webhooks to the ingress in bulk, and the figures the runs report. */
import { type Route, routeByPath, routeUrlPath } from "../functions/shared/contract/routes.ts";
import { inPool } from "./ongoing.ts";

export interface Delivery {
  readonly route: Route;
  readonly payload: Record<string, unknown>;
}

export interface DeliveryAnswer {
  readonly status: number;
  /** When the ingress answered (epoch ms). */
  readonly answeredAt: number;
}

export function routeNamed(path: string): Route {
  const route = routeByPath(path);
  if (!route) throw new Error(`no route ${path}`);
  return route;
}

/** POSTs each delivery as Ongoing would; `concurrency` requests in flight. */
export async function deliver(
  ingressUrl: string,
  token: string,
  deliveries: readonly Delivery[],
  concurrency = 16,
): Promise<DeliveryAnswer[]> {
  return inPool(deliveries, concurrency, async ({ route, payload }) => {
    try {
      const response = await fetch(`${ingressUrl}${routeUrlPath(route)}`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-auth-token": token },
        body: JSON.stringify(payload),
      });
      await response.arrayBuffer();
      return { status: response.status, answeredAt: Date.now() };
    } catch {
      return { status: 0, answeredAt: Date.now() };
    }
  });
}

/** The p-th percentile (nearest rank) of some numbers; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

export const round = (value: number, digits = 1): number =>
  Number.isFinite(value) ? Math.round(value * 10 ** digits) / 10 ** digits : value;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `done` until it is true or `timeoutMs` passed; says which. */
export async function waitFor(
  done: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 100,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await done()) return true;
    await sleep(everyMs);
  }
  return done();
}
