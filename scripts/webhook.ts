/**
 * Sends one realistic Ongoing webhook, as the Test button of an Ongoing webhook would: every field Ongoing's
 * payload carries, a fresh `webhookEventId`, the token in `X-Auth-Token`. Works against the local stack
 * (default) and a deployed stack (`--url <stage URL> --token <t>`).
 *
 *   npm run webhook -- order-shipped-email --order 50163
 *   npm run webhook -- article-updated --article 18068 --goods-owner 159
 *   npm run webhook -- transport-booking --order 50163 --url https://abc.execute-api.eu-west-1.amazonaws.com/v1 --token …
 */
import { parseArgs } from "node:util";
import { runWhenMain } from "../devkit/cli.ts";
import { webhookPayload } from "../devkit/payloads.ts";
import { type Route, routeByPath, routes, routeUrlPath } from "../functions/shared/contract/routes.ts";
import { localDefaults } from "../local/settings.ts";

export interface WebhookTarget {
  /** Ingress base URL (the API stage root). */
  readonly url: string;
  readonly token: string;
  /** Header the token is sent in. @default "X-Auth-Token" */
  readonly header?: string;
}

export interface WebhookAnswer {
  readonly status: number;
  readonly body: unknown;
}

/** POSTs a payload to a route, returning the ingress's answer. */
export async function sendWebhook(
  target: WebhookTarget,
  route: Route,
  payload: unknown,
): Promise<WebhookAnswer> {
  const response = await fetch(`${target.url.replace(/\/+$/, "")}${routeUrlPath(route)}`, {
    method: "POST",
    headers: { "content-type": "application/json", [target.header ?? "X-Auth-Token"]: target.token },
    body: JSON.stringify(payload),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // A non-JSON answer is printed as it came.
  }
  return { status: response.status, body };
}

const usage = `usage: npm run webhook -- <route> --order <id> | --article <id> [--goods-owner <id>] [--url <base> --token <t>]
routes: ${routes.map((route) => route.path).join(", ")}`;

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      order: { type: "string" },
      article: { type: "string" },
      "goods-owner": { type: "string" },
      url: { type: "string" },
      token: { type: "string" },
      header: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const route = routeByPath(positionals[0] ?? "");
  if (values.help || !route) {
    console.error(values.help ? usage : `unknown route "${positionals[0] ?? ""}"\n${usage}`);
    return values.help ? 0 : 2;
  }
  const defaults = localDefaults(process.env);
  const number = (value: string | undefined) => (value === undefined ? undefined : Number(value));
  const payload = webhookPayload(route, {
    orderId: number(values.order),
    articleSystemId: number(values.article),
    goodsOwnerId: number(values["goods-owner"]) ?? defaults.goodsOwnerId,
  });
  const target = {
    url: values.url ?? process.env.WEBHOOK_URL ?? defaults.ingressUrl,
    token: values.token ?? defaults.webhookToken,
    ...(values.header ? { header: values.header } : {}),
  };
  const answer = await sendWebhook(target, route, payload);
  console.log(
    `POST ${target.url.replace(/\/+$/, "")}${routeUrlPath(route)}  webhookEventId=${payload.webhookEventId}`,
  );
  console.log(
    `→ ${answer.status} ${typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body)}`,
  );
  return answer.status >= 200 && answer.status < 300 ? 0 : 1;
}

runWhenMain(import.meta, main);
