/** The one configured logger every function uses. Never log e-mail addresses, names or postal addresses. */
import { Logger } from "@aws-lambda-powertools/logger";

export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "ongoing-webhooks" });
