/** The article-sync consumer: the article webhooks' queue → the article mirror. */

import { ArticleMirror } from "../shared/articles/mirror.ts";
import { articleSyncSettingsSchema } from "../shared/contract/settings.ts";
import { settingsOf } from "../shared/function-settings.ts";
import { ongoingClientFor } from "../shared/ongoing/client.ts";
import { createConsumer } from "../shared/pipeline/consumer.ts";
import { articleSync } from "./sync.ts";

const settings = settingsOf(articleSyncSettingsSchema);

export const handler = createConsumer(
  articleSync({
    mirror: new ArticleMirror({ tableName: settings.ARTICLES_TABLE_NAME }),
    clientFor: ongoingClientFor,
  }),
);
