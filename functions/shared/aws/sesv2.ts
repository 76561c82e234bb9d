/** The SES v2 client the breaker probe asks for the account's sending state and quota (GetAccount); endpoint: `AWS_ENDPOINT_URL_SESV2` when set. */
import { SESv2Client } from "@aws-sdk/client-sesv2";

export const sesV2Client = new SESv2Client({});
