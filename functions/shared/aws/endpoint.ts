/**
 * Local endpoints reach the SDK clients only through configuration (`AWS_ENDPOINT_URL_<SERVICE>`), so nothing in
 * the functions knows whether it runs on AWS or locally. One module per client, so a function bundles only the
 * clients it uses.
 */
export function endpointFor(service: "DYNAMODB" | "SQS" | "SES" | "SECRETS_MANAGER" | "LAMBDA"): {
  endpoint?: string;
} {
  const endpoint = process.env[`AWS_ENDPOINT_URL_${service}`];
  return endpoint ? { endpoint } : {};
}
