/** The one SES client. */
import { SESClient } from "@aws-sdk/client-ses";
import { endpointFor } from "./endpoint.ts";

// One attempt: an SDK retry after SES accepted a mail would send it twice; the pipeline retries safely instead.
export const sesClient = new SESClient({ ...endpointFor("SES"), maxAttempts: 1 });
