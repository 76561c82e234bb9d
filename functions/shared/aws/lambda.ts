/** The one Lambda API client (the breaker probe pauses and resumes event source mappings with it); endpoint: `AWS_ENDPOINT_URL_LAMBDA` when set. */
import { LambdaClient } from "@aws-sdk/client-lambda";

export const lambdaClient = new LambdaClient({});
