/** The SES v2 client the breaker probe asks for the account's sending state and quota (GetAccount). */
import { SESv2Client } from "@aws-sdk/client-sesv2";
import { endpointFor } from "./endpoint.ts";

export const sesV2Client = new SESv2Client({ ...endpointFor("SES") });
