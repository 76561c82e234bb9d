/** Least privilege on Secrets Manager: a function reads exactly the secrets it is given, by name or prefix. */
import { ArnFormat, Stack, Validations } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type { SecretGrants } from "../function-settings.ts";

/** The grant of exactly these secrets (the absent ones left out), no prefix. */
export const secretsNamed = (...names: readonly (string | undefined)[]): SecretGrants => ({
  names: names.filter((name): name is string => name !== undefined),
  prefixes: [],
});

/**
 * GetSecretValue on exactly the named secrets (Secrets Manager appends six random characters to an ARN) and
 * on every secret under the given name prefixes.
 */
export function grantSecrets(fn: lambda.IFunction, { names, prefixes }: SecretGrants): void {
  if (names.length === 0 && prefixes.length === 0) return;
  const stack = Stack.of(fn);
  const arn = (resourceName: string) =>
    stack.formatArn({
      service: "secretsmanager",
      resource: "secret",
      resourceName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ["secretsmanager:GetSecretValue"],
      resources: [
        ...names.map((name) => arn(`${name}-??????`)),
        ...prefixes.map((prefix) => arn(`${prefix}*`)),
      ],
    }),
  );
  for (const prefix of prefixes) {
    if (!fn.role) continue;
    Validations.of(fn.role).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${prefix}*]`,
      reason:
        "the goods owners' Ongoing credentials, one secret each under one name prefix (ongoing.goodsOwnerSecretPrefix), so the policy does not grow with them",
    });
  }
}
