/**
 * Every queue consumer of the app: the webhook use-cases and the article reconcile's worker. Each has its own
 * queue, dead-letter queue and function, and runs in the same consumer pipeline.
 */
import { useCases } from "./routes.ts";

export const consumers = [...useCases, "article-reconcile"] as const;
export type Consumer = (typeof consumers)[number];
