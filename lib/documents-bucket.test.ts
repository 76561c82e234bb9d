/** The documents bucket (labels and other booking documents) and who may reach it. */
import { Match, type Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "./config.ts";
import { metadataKey } from "./metadata.ts";
import { cdkContext, synthesizeStack } from "./stack-template.support.ts";

const synth = (context: Record<string, unknown> = {}): Template => synthesizeStack(context).template;

let template: Template;
beforeAll(() => {
  template = synth();
});

const bucketId = () => {
  const ids = Object.keys(
    template.findResources("AWS::S3::Bucket", {
      Metadata: { [metadataKey]: { kind: "bucket", bucket: "documents" } },
    }),
  );
  expect(ids).toHaveLength(1);
  return ids[0] ?? "";
};

/** The policies attached to a consumer's role, as JSON. */
function policiesOf(useCase: string): string {
  const [fn] = Object.values(
    template.findResources("AWS::Lambda::Function", {
      Metadata: { [metadataKey]: { kind: "consumer", useCase } },
    }),
  ) as { Properties: { Role: { "Fn::GetAtt": [string] } } }[];
  const roleId = fn?.Properties.Role["Fn::GetAtt"][0];
  return JSON.stringify(
    Object.values(template.findResources("AWS::IAM::Policy")).filter((policy) =>
      JSON.stringify(policy.Properties.Roles).includes(`"${roleId}"`),
    ),
  );
}

describe("documents bucket", () => {
  it("is private, encrypted, HTTPS only, kept on delete, and expires objects after 30 days", () => {
    template.hasResource("AWS::S3::Bucket", {
      DeletionPolicy: "Retain",
      Properties: Match.objectLike({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] },
        LifecycleConfiguration: {
          Rules: [
            Match.objectLike({
              ExpirationInDays: 30,
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
              Status: "Enabled",
            }),
          ],
        },
      }),
    });
    template.hasResourceProperties("AWS::S3::BucketPolicy", {
      Bucket: { Ref: bucketId() },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: "Deny",
            Action: "s3:*",
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          }),
        ]),
      },
    });
  });

  it("lets transport booking put, get and list objects under the documents prefix only, and no other function in", () => {
    template.hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: ["s3:PutObject", "s3:GetObject"],
            Effect: "Allow",
            Resource: { "Fn::Join": ["", [{ "Fn::GetAtt": [bucketId(), "Arn"] }, "/booking-documents/*"]] },
          },
        ]),
      },
    });
    // List of the prefix only: without it S3 answers a missing (expired) document with AccessDenied, not NoSuchKey.
    template.hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: "s3:ListBucket",
            Condition: { StringLike: { "s3:prefix": "booking-documents/*" } },
            Effect: "Allow",
            Resource: { "Fn::GetAtt": [bucketId(), "Arn"] },
          },
        ]),
      },
    });
    const transport = policiesOf("transport-booking");
    expect(transport.match(/"s3:[A-Z][A-Za-z*]*"/g)?.sort()).toEqual([
      '"s3:GetObject"',
      '"s3:ListBucket"',
      '"s3:PutObject"',
    ]);
    for (const useCase of ["order-shipped-email", "article-sync"]) {
      expect(policiesOf(useCase)).not.toContain(bucketId());
    }
    template.hasResource("AWS::Lambda::Function", {
      Metadata: { [metadataKey]: { kind: "consumer", useCase: "transport-booking" } },
      Properties: Match.objectLike({
        Environment: { Variables: Match.objectLike({ DOCUMENTS_BUCKET_NAME: { Ref: bucketId() } }) },
      }),
    });
    expect(template.toJSON().Outputs).toHaveProperty("DocumentsBucketName");
  });

  it("expires objects after the configured days, and refuses a retention of no days, naming the key", () => {
    synth({ "ongoingWebhooks.transport.documentRetentionDays": 7 }).hasResourceProperties("AWS::S3::Bucket", {
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 7 })] },
    });
    expect(() =>
      parseConfig({ ...cdkContext, "ongoingWebhooks.transport.documentRetentionDays": 0 }),
    ).toThrow(ConfigError);
    expect(() =>
      parseConfig({ ...cdkContext, "ongoingWebhooks.transport.documentRetentionDays": 0 }),
    ).toThrow(/transport\.documentRetentionDays/);
  });
});
