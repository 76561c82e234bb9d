/** The one SES client (endpoint: `AWS_ENDPOINT_URL_SES` when set). */
import { SESClient } from "@aws-sdk/client-ses";

// One attempt: an SDK retry after SES accepted a mail would send it twice; the pipeline retries safely instead.
export const sesClient = new SESClient({ maxAttempts: 1 });
