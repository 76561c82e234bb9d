/** `npm start`: the whole pipeline on this machine. Prints what runs where; Ctrl-C / SIGTERM stops it all. */
import { PortInUseError, startLocalStack } from "./stack.ts";

const started = Date.now();
console.log("Synthesizing the CDK app and starting the local stack…");
let stack: Awaited<ReturnType<typeof startLocalStack>>;
try {
  stack = await startLocalStack({
    log: (name, line) => console.log(`[${name}] ${line}`),
  });
} catch (error) {
  console.error(error instanceof PortInUseError ? error.message : error);
  process.exit(1);
}

const { urls } = stack;
const rows: [string, string][] = [
  ["ingress (API Gateway)", `${urls.ingress}/webhooks/<route>`],
  ["status", `${urls.ingress}/_local  (JSON: /_local/status)`],
  ["reconcile now", `curl -X POST ${urls.ingress}/_local/reconcile`],
  ["SQS (fauxqs)", urls.sqs],
  ["DynamoDB (dynalite)", `${urls.dynamodb}  tables ${stack.tables.articles}, ${stack.tables.state}`],
  ["SES (mails sent)", `${urls.ses}/  (each mail's Send and Delivery events go to the mail-events function)`],
  [
    "Ongoing",
    urls.ongoingAdmin ? `${urls.ongoing}  (admin ${urls.ongoingAdmin})` : `${urls.ongoing} (external)`,
  ],
  ["transport system", `${urls.transport}  (admin ${urls.transportAdmin})`],
  ["nShift Delivery", `${urls.nshift}  (admin ${urls.nshiftAdmin})`],
  ["Secrets Manager", urls.secretsManager],
];
const width = Math.max(...rows.map(([name]) => name.length));
console.log(`\nLocal stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s:\n`);
for (const [name, value] of rows) console.log(`  ${name.padEnd(width)}  ${value}`);
console.log(`
Send a first webhook (token ${JSON.stringify(stack.webhookToken)}):
  npm run webhook -- order-shipped-email --order 50163
  curl -i -X POST ${urls.ingress}/webhooks/article-updated -H 'X-Auth-Token: ${stack.webhookToken}' \\
    -H 'Content-Type: application/json' -d '{"webhookEventId":1,"goodsOwnerId":${stack.goodsOwnerId},"articleSystemId":18068}'
Ctrl-C stops everything.
`);

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the local stack…`);
  await stack.stop();
  process.exit(0);
};
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));
// npm does not pass a SIGTERM on to its script: when the process that started us goes away, stop too.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) void stop("parent exited");
}, 1000).unref();
