/** Which dependencies each use-case calls: read by the use-case definitions and by the stack (the probe's list). */
import type { Dependency } from "../errors.ts";
import type { UseCase } from "../webhooks/routes.ts";

export const useCaseDependencies: Readonly<Record<UseCase, readonly Dependency[]>> = {
  "order-shipped-email": ["ongoing", "ses"],
  "transport-booking": ["ongoing", "transport"],
  "article-sync": ["ongoing"],
  "transport-status": ["ongoing"],
};
