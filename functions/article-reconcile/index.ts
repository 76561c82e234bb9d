/**
 * The reconcile's dispatcher, run by the schedule: queues one unit of work per goods owner in
 * RECONCILE_GOODS_OWNER_IDS for the worker (`worker.ts`), so each goods owner runs, fails and retries on its own.
 * Invoked directly: `{ "mode": "full" }` queues a full reconcile of every goods owner, and `goodsOwnerIds` (or
 * `goodsOwnerId`) narrows either mode to the ones named.
 */
import { randomUUID } from "node:crypto";
import type { Context } from "aws-lambda";
import * as z from "zod";
import { articleReconcileSettingsSchema } from "../shared/contract/settings.ts";
import { describeError } from "../shared/errors.ts";
import { settingsOf } from "../shared/function-settings.ts";
import { logger } from "../shared/powertools/logger.ts";
import { queueReconcileUnits } from "./queue.ts";

const settings = settingsOf(articleReconcileSettingsSchema);

const goodsOwnerId = z.number().int().positive();
/** A schedule's event carries none of these fields, so it reads as an incremental run of every goods owner. */
const requestSchema = z.looseObject({
  mode: z.enum(["incremental", "full"]).default("incremental"),
  goodsOwnerId: goodsOwnerId.optional(),
  goodsOwnerIds: z.array(goodsOwnerId).min(1).optional(),
});

export interface DispatchAnswer {
  readonly runId: string;
  readonly mode: "incremental" | "full";
  readonly goodsOwnerIds: readonly number[];
}

export async function handler(event: unknown, context: Context): Promise<DispatchAnswer> {
  logger.addContext(context);
  const parsed = requestSchema.safeParse(event ?? {});
  if (!parsed.success) throw new Error(`Invalid reconcile request: ${describeError(parsed.error)}`);
  const { mode } = parsed.data;
  const goodsOwnerIds = [
    ...new Set(
      parsed.data.goodsOwnerIds ??
        (parsed.data.goodsOwnerId === undefined
          ? settings.RECONCILE_GOODS_OWNER_IDS
          : [parsed.data.goodsOwnerId]),
    ),
  ];
  const runId = randomUUID();
  await queueReconcileUnits(
    settings.RECONCILE_QUEUE_URL,
    goodsOwnerIds.map((id) => ({ goodsOwnerId: id, mode, runId })),
  );
  logger.info("article reconcile queued", { runId, mode, goodsOwners: goodsOwnerIds.length });
  return { runId, mode, goodsOwnerIds };
}
