/**
 * The local stack's own routes beside the API's, on the ingress port: the status (JSON and page), the dead
 * letters with their reasons, a redrive per dead-letter queue, and running the breaker probe or the reconcile now.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { redriveByCopy } from "../devkit/redrive.ts";
import { type Consumer, consumers } from "../functions/shared/contract/consumers.ts";
import { messageAttributes } from "../functions/shared/contract/routes.ts";
import type { LocalQueue } from "./provision.ts";
import type { LocalStatus } from "./status.ts";
import { type DeadLetter, defaultRefreshSeconds, statusPage } from "./status-page.ts";

export interface AdminOptions {
  status(): Promise<LocalStatus>;
  probe(): Promise<unknown>;
  reconcile(): Promise<unknown>;
  readonly queues: readonly LocalQueue[];
  readonly sqs: SQSClient;
  /** Pages the status page links to. */
  readonly links: { sesPage: string; ongoingAdmin?: string | undefined };
}

type Route = (request: IncomingMessage, response: ServerResponse, url: URL) => Promise<void>;

export function adminRoutes(
  options: AdminOptions,
): (request: IncomingMessage, response: ServerResponse) => Promise<boolean> {
  // Looking at a dead-letter queue hides its messages for a moment: a redrive must not run meanwhile.
  let turn: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(run: () => Promise<T>): Promise<T> => {
    const result = turn.then(run);
    turn = result.catch(() => undefined);
    return result;
  };
  const deadLetters = () =>
    exclusive(async () => {
      const byQueue: Partial<Record<Consumer, DeadLetter[]>> = {};
      for (const queue of options.queues) {
        if (!queue.deadLetterUrl) continue;
        const seen = await redriveByCopy({ ...queueUrls(queue), sqs: options.sqs, dryRun: true });
        byQueue[queue.useCase] = seen.map(deadLetterOf);
      }
      return byQueue;
    });
  const redrive = (useCase: Consumer) =>
    exclusive(async () => {
      const queue = options.queues.find((candidate) => candidate.useCase === useCase);
      if (!queue?.deadLetterUrl) throw new Error(`the local stack has no ${useCase} dead-letter queue`);
      return redriveByCopy({ ...queueUrls(queue), sqs: options.sqs });
    });

  const routes: Record<string, Route> = {
    "GET /_local/status": async (_, response) => json(response, 200, await options.status()),
    "GET /_local": async (_, response, url) => {
      const [status, letters] = await Promise.all([options.status(), deadLetters()]);
      response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      response.end(
        statusPage(status, letters, options.links, {
          notice: redriveNotice(url),
          refreshSeconds: refreshOf(url),
        }),
      );
    },
    "GET /_local/dead-letters": async (_, response) => json(response, 200, await deadLetters()),
    "POST /_local/probe": async (_, response) => answer(response, options.probe),
    "POST /_local/reconcile": async (_, response) => answer(response, options.reconcile),
  };

  return async (request, response) => {
    const url = new URL(request.url ?? "/", "http://local");
    const path = url.pathname.replace(/\/+$/, "");
    const route = routes[`${request.method} ${path}`];
    if (route) {
      await route(request, response, url);
      return true;
    }
    const redriveOf = /^\/_local\/redrive\/([^/]+)$/.exec(path)?.[1];
    if (request.method !== "POST" || redriveOf === undefined) return false;
    const useCase = consumers.find((candidate) => candidate === decodeURIComponent(redriveOf));
    if (!useCase) {
      json(response, 404, { message: `no such use-case: ${redriveOf}; one of ${consumers.join(", ")}` });
      return true;
    }
    const moved = await redrive(useCase).catch((error: unknown) => error as Error);
    if (moved instanceof Error) json(response, 500, { message: `${moved.name}: ${moved.message}` });
    // A form on the page: back to the page, which says what moved (POST, then redirect, then GET).
    else if (/text\/html/.test(request.headers.accept ?? ""))
      redirect(response, `/_local?redriven=${useCase}&moved=${moved.length}`);
    else json(response, 200, { useCase, moved });
    return true;
  };
}

const queueUrls = (queue: LocalQueue) => ({ queueUrl: queue.url, deadLetterUrl: queue.deadLetterUrl });

function deadLetterOf(message: Awaited<ReturnType<typeof redriveByCopy>>[number]): DeadLetter {
  const attribute = (name: string) => message.attributes[name];
  return {
    messageId: message.messageId,
    reason: message.failureReason,
    failureClass: attribute(messageAttributes.failureClass),
    failureCode: attribute(messageAttributes.failureCode),
    eventType: attribute(messageAttributes.eventType),
    receivedAt: isoTime(attribute(messageAttributes.receivedAt)),
    body: message.body,
  };
}

/** The ingress stamps epoch milliseconds; the page shows ISO 8601 (anything else as it is). */
const isoTime = (value: string | undefined) =>
  value && /^\d{12,}$/.test(value) ? new Date(Number(value)).toISOString() : value;

/** `?refresh=N` seconds between reloads (0: none), within an hour; else the page's default. */
function refreshOf(url: URL): number {
  const asked = Number(url.searchParams.get("refresh") ?? Number.NaN);
  return Number.isInteger(asked) && asked >= 0 && asked <= 3600 ? asked : defaultRefreshSeconds;
}

/** What the page says after a redrive from its form (only values it can trust: a known use-case, a count). */
function redriveNotice(url: URL): string | undefined {
  const useCase = consumers.find((candidate) => candidate === url.searchParams.get("redriven"));
  const moved = Number(url.searchParams.get("moved"));
  if (!useCase || !Number.isInteger(moved) || moved < 0) return undefined;
  return `Redrive: moved ${moved} dead letter${moved === 1 ? "" : "s"} back to the ${useCase} queue.`;
}

async function answer(response: ServerResponse, run: () => Promise<unknown>): Promise<void> {
  try {
    json(response, 200, { result: (await run()) ?? null });
  } catch (error) {
    json(response, 500, {
      message: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
  }
}

function json(response: ServerResponse, code: number, body: unknown): void {
  response.writeHead(code, { "content-type": "application/json" });
  response.end(`${JSON.stringify(body, null, 2)}\n`);
}

function redirect(response: ServerResponse, location: string): void {
  response.writeHead(303, { location });
  response.end();
}
