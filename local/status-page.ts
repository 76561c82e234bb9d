/** The `GET /_local` page: the status JSON as a small table that refreshes itself. */
import type { LocalStatus } from "./stack.ts";

const html = (value: unknown) => String(value).replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

export function statusPage(
  status: LocalStatus,
  links: { sesPage: string; ongoingAdmin?: string | undefined },
): string {
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
<html><head><meta charset="utf-8"><meta http-equiv="refresh" content="2"><title>ongoing-webhooks local</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1.5em}
td,th{border:1px solid #ccc;padding:4px 10px;text-align:left}.bad{background:#fdd}</style></head>
<body><h1>ongoing-webhooks: local stack</h1>
<h2>Queues</h2><table><tr><th>use-case</th><th>visible</th><th>in flight</th><th>dead letters</th><th>consuming</th></tr>${queueRows}</table>
<h2>Dependencies (circuit breakers)</h2><table><tr><th>dependency</th><th>breaker</th><th>unreachable since</th><th>last probe</th></tr>${breakerRows}</table>
<h2>Tables</h2><table><tr><td>articles</td><td>${html(status.tables.articles)}</td></tr><tr><td>state</td><td>${html(status.tables.state)}</td></tr></table>
<h2>Endpoints</h2><table>${endpointRows}</table>
<p><a href="${html(links.sesPage)}">Mails sent (SES)</a>${
    links.ongoingAdmin ? ` · <a href="${html(links.ongoingAdmin)}writes">Ongoing write-backs</a>` : ""
  } · <a href="/_local/status">status JSON</a></p>
</body></html>
`;
}
