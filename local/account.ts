/** The one region, account and credentials every local AWS call and ARN uses. */
export const region = "eu-west-1";
export const accountId = "000000000000";
export const localCredentials = { accessKeyId: "local", secretAccessKey: "local" };
