/** The one S3 client every function shares (endpoint: `AWS_ENDPOINT_URL_S3` when set). */
import { S3Client } from "@aws-sdk/client-s3";

// A configured endpoint (an S3-compatible store) is addressed path-style: `bucket.host` names need their own DNS.
export const s3Client = new S3Client({ forcePathStyle: process.env.AWS_ENDPOINT_URL_S3 !== undefined });
