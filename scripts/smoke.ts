/**
 * `npm run smoke [-- --url <stage URL> --token <t>] [--max-body-bytes N]`: checks a running ingress, the local
 * stack by default or a deployed stack after `cdk deploy`, with requests it must refuse, so it queues nothing.
 * It sends no token (401), a wrong token (403), a wrong content type (415), a body that is no Ongoing payload sent
 * as `application/json; charset=utf-8` (400: the charset passes, the model refuses), a body over the size limit
 * (413, the mapping template's trick) and a GET (no such method). Every answer must be JSON with a `message`.
 * Prints one line per check and exits 1 when any fails.
 */
import { parseArgs } from "node:util";
import { runWhenMain } from "../devkit/cli.ts";
import { orderWebhookPayload } from "../devkit/payloads.ts";
import { routeByPath, routeUrlPath } from "../functions/shared/contract/routes.ts";
import { localDefaults } from "../local/settings.ts";

export interface SmokeTarget {
  /** Ingress base URL (the API stage root). */
  readonly url: string;
  readonly token: string;
  /** Header the token is sent in. @default "X-Auth-Token" */
  readonly header?: string;
  /** The stack's `ingress.maxBodyBytes`. @default 65536 */
  readonly maxBodyBytes?: number;
}

export interface SmokeResult {
  readonly check: string;
  readonly expected: number;
  readonly status: number;
  readonly passed: boolean;
  /** Why it failed, or the answer's message. */
  readonly detail: string;
}

/**
 * A goods owner no deployment serves: should the size check ever let the large body through, the webhook is
 * dead-lettered at once instead of reaching a customer.
 */
export const smokeGoodsOwnerId = 999_999_999;

interface Check {
  readonly check: string;
  readonly expected: number;
  readonly method?: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

function checks(target: SmokeTarget): Check[] {
  const header = target.header ?? "X-Auth-Token";
  const json = { "content-type": "application/json" };
  const payload = orderWebhookPayload(smokeGoodsOwnerId, smokeGoodsOwnerId);
  const valid = JSON.stringify(payload);
  const oversized = JSON.stringify({ ...payload, pad: "x".repeat(target.maxBodyBytes ?? 65_536) });
  return [
    { check: "no token", expected: 401, headers: json, body: valid },
    {
      check: "wrong token",
      expected: 403,
      headers: { ...json, [header]: `${target.token}-wrong` },
      body: valid,
    },
    {
      check: "wrong content type",
      expected: 415,
      headers: { "content-type": "text/plain", [header]: target.token },
      body: valid,
    },
    {
      check: "not an Ongoing payload, JSON with a charset",
      expected: 400,
      headers: { "content-type": "application/json; charset=utf-8", [header]: target.token },
      body: JSON.stringify({ hello: "world" }),
    },
    {
      check: "body over the size limit",
      expected: 413,
      headers: { ...json, [header]: target.token },
      body: oversized,
    },
    { check: "GET (no such method)", expected: 403, method: "GET", headers: { [header]: target.token } },
  ];
}

/** Runs every check against the target, one after another. */
export async function smoke(target: SmokeTarget): Promise<SmokeResult[]> {
  const route = routeByPath("order-shipped-email");
  if (!route) throw new Error("no order-shipped-email route");
  const url = `${target.url.replace(/\/+$/, "")}${routeUrlPath(route)}`;
  const results: SmokeResult[] = [];
  for (const { check, expected, method, headers, body } of checks(target)) {
    const response = await fetch(url, { method: method ?? "POST", headers, ...(body ? { body } : {}) });
    const text = await response.text();
    let message: unknown;
    try {
      message = (JSON.parse(text) as { message?: unknown }).message;
    } catch {
      message = undefined;
    }
    const problems = [
      ...(response.status === expected ? [] : [`answered ${response.status}, expected ${expected}`]),
      ...(typeof message === "string"
        ? []
        : [`the answer is not JSON with a message: ${text.slice(0, 120)}`]),
    ];
    results.push({
      check,
      expected,
      status: response.status,
      passed: problems.length === 0,
      detail: problems.length > 0 ? problems.join("; ") : String(message),
    });
  }
  return results;
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: "string" },
      token: { type: "string" },
      header: { type: "string" },
      "max-body-bytes": { type: "string" },
    },
  });
  const defaults = localDefaults(process.env);
  const target: SmokeTarget = {
    url: values.url ?? process.env.WEBHOOK_URL ?? defaults.ingressUrl,
    token: values.token ?? defaults.webhookToken,
    ...(values.header ? { header: values.header } : {}),
    ...(values["max-body-bytes"] ? { maxBodyBytes: Number(values["max-body-bytes"]) } : {}),
  };
  const results = await smoke(target);
  for (const result of results)
    console.log(`${result.passed ? "ok  " : "FAIL"} ${result.check}: ${result.status} (${result.detail})`);
  const failed = results.filter((result) => !result.passed);
  if (failed.some((result) => result.check === "body over the size limit" && result.status === 202)) {
    console.log(
      `the large body was queued: its webhook (goods owner ${smokeGoodsOwnerId}) will be dead-lettered; discard it`,
    );
  }
  console.log(failed.length === 0 ? "smoke: every check passed" : `smoke: ${failed.length} check(s) failed`);
  return failed.length === 0 ? 0 : 1;
}

runWhenMain(import.meta, main);
