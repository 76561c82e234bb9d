/** The one Secrets Manager client (endpoint: `AWS_ENDPOINT_URL_SECRETS_MANAGER` when set). */
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";

export const secretsManagerClient = new SecretsManagerClient({});
