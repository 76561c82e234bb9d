/**
 * Loads a goods owner's whole article catalogue from Ongoing into the article mirror, page by page, with a
 * progress bar on stderr. Safe to re-run and safe beside the live consumer: it writes through the same
 * conditional mirror logic, so it never overwrites a newer view and writes nothing for an unchanged article.
 *
 *   npm run backfill -- --goods-owner 159 --local --table <articles table printed by npm start>
 *   ONGOING_BASE_URL=https://api.ongoingsystems.se/MyWarehouse/api/v1/ ONGOING_CREDENTIALS_SECRET=ongoing/rest \
 *     AWS_PROFILE=prod npm run backfill -- --goods-owner 159 --table OngoingWebhooks-Articles… --page-size 500
 */
import { parseArgs } from "node:util";
import { runWhenMain } from "../devkit/cli.ts";
import type { ChangeCounts } from "../functions/shared/articles/catalogue.ts";
import type { OngoingCredentials } from "../functions/shared/ongoing/credentials.ts";
import { localDefaults } from "../local/settings.ts";

export interface BackfillOptions {
  readonly goodsOwnerId: number;
  readonly tableName: string;
  readonly ongoingBaseUrl: string;
  readonly credentials: () => Promise<OngoingCredentials>;
  /** Articles per Ongoing request. @default 500 */
  readonly pageSize?: number;
  /** Where the progress bar goes. @default process.stderr */
  readonly progress?: ProgressStream;
  /** The catalogue size if known (Ongoing gives no count), to draw a bar instead of a counter. */
  readonly expected?: number;
}

export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

export interface BackfillResult {
  readonly articles: number;
  readonly pages: number;
  readonly counts: ChangeCounts;
}

const barWidth = 30;

/** One progress line: a bar when the total is known, else a running count. */
export function progressLine(progress: {
  articles: number;
  pages: number;
  counts: ChangeCounts;
  elapsedMs: number;
  expected?: number;
}): string {
  const rate = Math.round(progress.articles / Math.max(progress.elapsedMs / 1000, 0.001));
  const { created, updated, unchanged } = progress.counts;
  const tally = `${progress.articles} articles, ${progress.pages} pages (${created} new, ${updated} updated, ${unchanged} unchanged) ${rate}/s`;
  if (!progress.expected) return tally;
  const fraction = Math.min(progress.articles / progress.expected, 1);
  const filled = Math.round(fraction * barWidth);
  return `[${"#".repeat(filled)}${"-".repeat(barWidth - filled)}] ${Math.floor(fraction * 100)}% ${tally}`;
}

export async function backfill(options: BackfillOptions): Promise<BackfillResult> {
  // Imported here, not at the top: the AWS clients read their endpoints when first loaded (after main's flags).
  const { ArticleMirror } = await import("../functions/shared/articles/mirror.ts");
  const { mirrorCatalogue } = await import("../functions/shared/articles/catalogue.ts");
  const { createOngoingClient } = await import("../functions/shared/ongoing/client.ts");
  const client = createOngoingClient({
    baseUrl: options.ongoingBaseUrl,
    goodsOwnerId: options.goodsOwnerId,
    credentials: options.credentials,
  });
  const stream = options.progress ?? process.stderr;
  const started = Date.now();
  const { counts, seen, pages } = await mirrorCatalogue({
    mirror: new ArticleMirror({ tableName: options.tableName }),
    goodsOwnerId: options.goodsOwnerId,
    pages: client.pageArticles({ pageSize: options.pageSize ?? 500 }),
    source: { kind: "backfill" },
    onPage: ({ page, articles, counts: running }) => {
      const line = progressLine({
        articles,
        pages: page,
        counts: running,
        elapsedMs: Date.now() - started,
        ...(options.expected ? { expected: options.expected } : {}),
      });
      // On a terminal the line redraws in place; in a log every page is its own line.
      stream.write(stream.isTTY ? `\r${line}\u001b[K` : `${line}\n`);
    },
  });
  if (stream.isTTY) stream.write("\n");
  return { articles: seen.size, pages, counts };
}

const usage = `Usage: npm run backfill -- --goods-owner <id> [options]

  --goods-owner <id>         goods owner whose catalogue is loaded (required)
  --page-size <n>            articles per Ongoing request (default 500)
  --table <name>             the articles table (default $ARTICLES_TABLE_NAME)
  --ongoing-url <url>        Ongoing REST root …/api/v1/ (default $ONGOING_BASE_URL)
  --credentials-secret <n>   Secrets Manager secret {"username","password"} (default $ONGOING_CREDENTIALS_SECRET);
                             without one, $ONGOING_USERNAME and $ONGOING_PASSWORD are used
  --dynamodb-endpoint <url>  a local DynamoDB (default $AWS_ENDPOINT_URL_DYNAMODB, else AWS)
  --local                    the local stack: its DynamoDB and Ongoing simulator (demo user) by default
  --expected <n>             catalogue size, if known, to draw a bar instead of a counter`;

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      "goods-owner": { type: "string" },
      "page-size": { type: "string" },
      table: { type: "string" },
      "ongoing-url": { type: "string" },
      "credentials-secret": { type: "string" },
      "dynamodb-endpoint": { type: "string" },
      local: { type: "boolean", default: false },
      expected: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.error(usage);
    return 0;
  }
  const goodsOwnerId = Number(values["goods-owner"]);
  const pageSize = Number(values["page-size"] ?? 500);
  const expected = values.expected === undefined ? undefined : Number(values.expected);
  const env = process.env;
  const local = values.local ? localDefaults(env) : undefined;
  const tableName = values.table ?? env.ARTICLES_TABLE_NAME;
  const ongoingBaseUrl =
    values["ongoing-url"] ??
    env.ONGOING_BASE_URL ??
    (local ? `http://${local.host}:${local.ports.ongoing}/demo/api/v1/` : undefined);
  const problems = [
    ...(Number.isInteger(goodsOwnerId) && goodsOwnerId > 0 ? [] : ["--goods-owner <id> is required"]),
    ...(Number.isInteger(pageSize) && pageSize > 0 ? [] : ["--page-size must be a positive whole number"]),
    ...(tableName ? [] : ["--table (or ARTICLES_TABLE_NAME) is required"]),
    ...(ongoingBaseUrl ? [] : ["--ongoing-url (or ONGOING_BASE_URL) is required"]),
  ];
  if (problems.length > 0) {
    console.error(`${problems.join("\n")}\n\n${usage}`);
    return 2;
  }

  const dynamoDbEndpoint =
    values["dynamodb-endpoint"] ??
    env.AWS_ENDPOINT_URL_DYNAMODB ??
    (local ? `http://${local.host}:${local.ports.dynamodb}` : undefined);
  if (dynamoDbEndpoint) {
    env.AWS_ENDPOINT_URL_DYNAMODB = dynamoDbEndpoint;
    env.AWS_ACCESS_KEY_ID ??= "local";
    env.AWS_SECRET_ACCESS_KEY ??= "local";
  }
  env.AWS_REGION ??= "eu-west-1";

  const secretName = values["credentials-secret"] ?? env.ONGOING_CREDENTIALS_SECRET;
  let credentials: () => Promise<OngoingCredentials>;
  if (secretName) {
    const { credentialsFromSecret } = await import("../functions/shared/ongoing/credentials.ts");
    credentials = credentialsFromSecret(secretName);
  } else {
    const username = env.ONGOING_USERNAME ?? (local ? "demo" : "");
    const password = env.ONGOING_PASSWORD ?? (local ? "demo-password" : "");
    if (!username || !password) {
      console.error(
        "Ongoing credentials: give --credentials-secret, or set ONGOING_USERNAME and ONGOING_PASSWORD",
      );
      return 2;
    }
    credentials = async () => ({ username, password });
  }

  const result = await backfill({
    goodsOwnerId,
    tableName: tableName as string,
    ongoingBaseUrl: ongoingBaseUrl as string,
    credentials,
    pageSize,
    ...(expected ? { expected } : {}),
  });
  console.log(
    `Goods owner ${goodsOwnerId}: ${result.articles} articles in ${result.pages} pages → ` +
      `${result.counts.created} created, ${result.counts.updated} updated, ${result.counts.unchanged} unchanged` +
      (result.counts.stale ? `, ${result.counts.stale} already newer` : ""),
  );
  return 0;
}

runWhenMain(import.meta, main);
