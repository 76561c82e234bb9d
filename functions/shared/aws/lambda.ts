/** The one Lambda API client (the breaker probe pauses and resumes event source mappings with it). */
import { LambdaClient } from "@aws-sdk/client-lambda";
import { endpointFor } from "./endpoint.ts";

export const lambdaClient = new LambdaClient({ ...endpointFor("LAMBDA") });
