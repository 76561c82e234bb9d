/**
 * The scheduled article reconcile: incremental for every goods owner in RECONCILE_GOODS_OWNER_IDS. Invoked
 * directly with `{ "mode": "full", "goodsOwnerId": n }` it reconciles one goods owner's whole catalogue.
 */
import type { Context } from "aws-lambda";
import * as z from "zod";
import { ArticleMirror } from "../article-sync/mirror.ts";
import { describeError } from "../shared/errors.ts";
import { ongoingClientFor } from "../shared/ongoing/client.ts";
import { dimensionedMetrics } from "../shared/powertools/dimensioned-metrics.ts";
import { logger } from "../shared/powertools/logger.ts";
import { articleReconcileSettingsSchema, readSettings } from "../shared/settings.ts";
import { reconcileGoodsOwners } from "./run.ts";
import { ReconcileWatermarks } from "./watermark.ts";

const settings = readSettings(articleReconcileSettingsSchema);

const dependencies = {
  mirror: new ArticleMirror({ tableName: settings.ARTICLES_TABLE_NAME }),
  watermarks: new ReconcileWatermarks(settings.STATE_TABLE_NAME),
  clientFor: ongoingClientFor,
};

/** A schedule's event carries none of these fields, so it reads as an incremental run of every goods owner. */
const requestSchema = z.looseObject({
  mode: z.enum(["incremental", "full"]).default("incremental"),
  goodsOwnerId: z.number().int().positive().optional(),
});

export async function handler(event: unknown, context: Context) {
  const parsed = requestSchema.safeParse(event ?? {});
  if (!parsed.success) throw new Error(`Invalid reconcile request: ${describeError(parsed.error)}`);
  const { mode, goodsOwnerId } = parsed.data;
  if (mode === "full" && goodsOwnerId === undefined) {
    throw new Error('A full reconcile names its goods owner: { "mode": "full", "goodsOwnerId": n }');
  }
  logger.addContext(context);
  try {
    return await reconcileGoodsOwners(dependencies, {
      mode,
      goodsOwnerIds: goodsOwnerId === undefined ? settings.RECONCILE_GOODS_OWNER_IDS : [goodsOwnerId],
      remainingTimeMs: () => context.getRemainingTimeInMillis(),
    });
  } finally {
    dimensionedMetrics.publish();
  }
}
