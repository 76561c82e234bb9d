/** The CDK app entry (`cdk.json` → `tsx bin/ongoing-webhooks.ts`). */

import { createApp } from "../lib/app.ts";
import { ConfigError } from "../lib/config.ts";

try {
  createApp();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
