/** The logger of the record a handler works on: its correlation keys when the pipeline set them, else the shared one. */
import type { Logger } from "@aws-lambda-powertools/logger";
import type { HandlerContext } from "../pipeline/types.ts";
import { logger } from "./logger.ts";

export const recordLogger = (context: Pick<HandlerContext, "logger">): Logger => context.logger ?? logger;
