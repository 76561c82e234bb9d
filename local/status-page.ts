/**
 * The `GET /_local` page: the status as small tables that refresh themselves, the dead letters with their
 * reasons and a redrive button per dead-letter queue, and the recent trail. Every value is escaped: webhooks
 * may carry anything.
 */
import type { Consumer } from "../functions/shared/contract/consumers.ts";
import type { LocalStatus, LocalTrailEntry } from "./status.ts";

/** A message on a dead-letter queue, as the page shows it. */
export interface DeadLetter {
  readonly messageId: string;
  /** Why the pipeline dead-lettered it (absent when SQS moved it after too many receives). */
  readonly reason: string | undefined;
  readonly failureClass: string | undefined;
  readonly failureCode: string | undefined;
  readonly eventType: string | undefined;
  readonly receivedAt: string | undefined;
  /** The webhook as queued. */
  readonly body: string;
}

/** How often the page reloads itself, unless asked to hold still (`/_local?refresh=0`). */
export const defaultRefreshSeconds = 2;
/** How much of a dead letter's webhook the page shows. */
const bodyPreviewChars = 300;

const html = (value: unknown) => String(value).replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
const cells = (values: unknown[]) => values.map((value) => `<td>${html(value ?? "")}</td>`).join("");

export function statusPage(
  status: LocalStatus,
  deadLetters: Partial<Record<Consumer, readonly DeadLetter[]>>,
  links: { sesPage: string; ongoingAdmin?: string | undefined },
  view: {
    /** A line on top, e.g. what a redrive moved. */
    notice?: string | undefined;
    /** Seconds between reloads; 0 holds the page still (to read it). @default 2 */
    refreshSeconds?: number;
  } = {},
): string {
  const { notice, refreshSeconds = defaultRefreshSeconds } = view;
  const queueRows = status.queues
    .map(
      (queue) =>
        `<tr><td>${html(queue.useCase)}</td><td>${queue.visible}</td><td>${queue.inFlight}</td>` +
        `<td${queue.deadLetters > 0 ? ' class="bad"' : ""}>${queue.deadLetters}</td>` +
        `<td${queue.consuming === false ? ' class="bad"' : ""}>${queue.consuming === false ? "paused" : "yes"}</td></tr>`,
    )
    .join("");
  const breakerRows = status.breakers
    .map(
      (breaker) =>
        `<tr><td>${html(breaker.dependency)}</td><td${breaker.position === "closed" ? "" : ' class="bad"'}>` +
        `${html(breaker.position)}</td><td>${html(breaker.openedAt ?? "")}</td><td>${html(breaker.probeResult ?? "")}</td></tr>`,
    )
    .join("");
  const endpointRows = Object.entries(status.endpoints)
    .map(([name, url]) => `<tr><td>${html(name)}</td><td><a href="${html(url)}">${html(url)}</a></td></tr>`)
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">${refreshSeconds > 0 ? `<meta http-equiv="refresh" content="${refreshSeconds}">` : ""}<title>ongoing-webhooks local</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1.5em}
td,th{border:1px solid #ccc;padding:4px 10px;text-align:left;vertical-align:top}.bad{background:#fdd}
.notice{background:#dfd;padding:6px 10px}code{white-space:pre-wrap;word-break:break-all}</style></head>
<body><h1>ongoing-webhooks: local stack</h1>
${notice ? `<p class="notice" role="status">${html(notice)}</p>` : ""}
<h2>Queues</h2><table><tr><th>use-case</th><th>visible</th><th>in flight</th><th>dead letters</th><th>consuming</th></tr>${queueRows}</table>
${deadLettersSection(deadLetters)}
${trailSection(status.trail)}
<h2>Dependencies (circuit breakers)</h2><table><tr><th>dependency</th><th>breaker</th><th>unreachable since</th><th>last probe</th></tr>${breakerRows}</table>
<h2>Tables</h2><table><tr><td>articles</td><td>${html(status.tables.articles)}</td></tr><tr><td>state</td><td>${html(status.tables.state)}</td></tr></table>
<h2>Endpoints</h2><table>${endpointRows}</table>
<p><a href="${html(links.sesPage)}">Mails sent (SES)</a>${
    links.ongoingAdmin ? ` · <a href="${html(links.ongoingAdmin)}writes">Ongoing write-backs</a>` : ""
  } · <a href="/_local/status">status JSON</a> · <a href="/_local/dead-letters">dead letters JSON</a> · ${
    refreshSeconds > 0
      ? '<a href="/_local?refresh=0">hold still</a>'
      : `<a href="/_local">refresh every ${defaultRefreshSeconds} s</a>`
  }</p>
</body></html>
`;
}

/** Per dead-letter queue with messages: each with its reason, and a button that moves them all back. */
function deadLettersSection(deadLetters: Partial<Record<Consumer, readonly DeadLetter[]>>): string {
  const queues = Object.entries(deadLetters).filter(([, letters]) => letters && letters.length > 0) as [
    Consumer,
    readonly DeadLetter[],
  ][];
  const body =
    queues.length === 0
      ? "<p>No dead letters.</p>"
      : queues
          .map(([useCase, letters]) => {
            const rows = letters
              .map((letter) => {
                const preview =
                  letter.body.length > bodyPreviewChars
                    ? `${letter.body.slice(0, bodyPreviewChars)}…`
                    : letter.body;
                const failure = [letter.failureClass, letter.failureCode].filter(Boolean).join(" ");
                return `<tr data-message-id="${html(letter.messageId)}">${cells([
                  letter.receivedAt,
                  letter.eventType,
                  letter.reason ?? "moved by SQS after its receives ran out",
                  failure,
                ])}<td><code>${html(preview)}</code></td></tr>`;
              })
              .join("");
            return (
              `<section class="dead-letter-queue" aria-label="${html(useCase)} dead letters">` +
              `<h3>${html(useCase)}: ${letters.length} dead letter${letters.length === 1 ? "" : "s"}</h3>` +
              `<table><tr><th>received</th><th>event</th><th>reason</th><th>failure</th><th>webhook</th></tr>${rows}</table>` +
              `<form method="post" action="/_local/redrive/${html(useCase)}">` +
              `<button type="submit">Redrive ${html(useCase)}</button></form></section>`
            );
          })
          .join("");
  return `<section id="dead-letters" aria-label="Dead letters"><h2>Dead letters</h2>${body}</section>`;
}

/** The recent trail, newest first: each webhook's outcome, its attempts and what it did. */
function trailSection(trail: readonly LocalTrailEntry[] | undefined): string {
  const rows = (trail ?? [])
    .map((entry) => {
      const attempts = entry.attempts
        .map((attempt) =>
          [attempt.at, attempt.outcome, attempt.code, attempt.reason, attempt.replay ? "(replay)" : ""]
            .filter((part) => part)
            .join(" "),
        )
        .join("\n");
      const effect = Object.entries(entry.effect ?? {})
        .map(([name, value]) => `${name}: ${value}`)
        .join("\n");
      return `<tr class="${entry.outcome === "dead-lettered" ? "bad" : ""}">${cells([
        entry.receivedAt,
        entry.route,
        entry.goodsOwnerId,
        entry.subject,
        entry.outcome,
        entry.reason,
      ])}<td><code>${html(attempts)}</code></td><td><code>${html(effect)}</code></td></tr>`;
    })
    .join("");
  const body = rows
    ? `<table><tr><th>received</th><th>route</th><th>goods owner</th><th>subject</th><th>outcome</th><th>reason</th><th>attempts</th><th>effect</th></tr>${rows}</table>`
    : "<p>No webhooks in the trail yet.</p>";
  return `<section id="trail" aria-label="Recent trail"><h2>Recent trail</h2>${body}</section>`;
}
