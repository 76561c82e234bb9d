/** The article-sync consumer: the article webhooks' queue → the article mirror. */

import { articleSyncSettingsSchema, readSettings } from "../shared/contract/settings.ts";
import { ongoingClientFor } from "../shared/ongoing/client.ts";
import { createConsumer } from "../shared/pipeline/consumer.ts";
import { ArticleMirror } from "./mirror.ts";
import { articleSync } from "./sync.ts";

const settings = readSettings(articleSyncSettingsSchema);

export const handler = createConsumer(
  articleSync({
    mirror: new ArticleMirror({ tableName: settings.ARTICLES_TABLE_NAME }),
    clientFor: ongoingClientFor,
  }),
);
