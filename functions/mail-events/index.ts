/**
 * SES's sending events for shipped-mails (configuration set → EventBridge → this function): each is recorded on
 * the mail's record, settling a claim SES's event shows was sent. A failure throws: Lambda retries the event,
 * then sends it to the dead-letter queue.
 */
import type { Context } from "aws-lambda";
import { mailEventsSettingsSchema } from "../shared/contract/settings.ts";
import { settingsOf } from "../shared/function-settings.ts";
import { dimensionedMetrics } from "../shared/powertools/dimensioned-metrics.ts";
import { logger } from "../shared/powertools/logger.ts";
import { ShippedMailLedger } from "../shared/shipped-mail-ledger.ts";
import { TrailEffects } from "../shared/trail/effects.ts";
import { recordMailEvent } from "./mail-events.ts";

const settings = settingsOf(mailEventsSettingsSchema);
const ledger = new ShippedMailLedger(settings.STATE_TABLE_NAME);
const trail = settings.TRAIL_TABLE_NAME ? new TrailEffects(settings.TRAIL_TABLE_NAME) : undefined;

export async function handler(event: unknown, context: Context) {
  logger.addContext(context);
  try {
    return await recordMailEvent(ledger, event, trail);
  } finally {
    dimensionedMetrics.publish();
  }
}
