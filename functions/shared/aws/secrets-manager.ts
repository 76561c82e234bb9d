/** The one Secrets Manager client. */
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { endpointFor } from "./endpoint.ts";

export const secretsManagerClient = new SecretsManagerClient({ ...endpointFor("SECRETS_MANAGER") });
