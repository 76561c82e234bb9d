/** The one S3 client every function shares. */
import { S3Client } from "@aws-sdk/client-s3";
import { endpointFor } from "./endpoint.ts";

const configured = endpointFor("S3");
// A configured endpoint (an S3-compatible store) is addressed path-style: `bucket.host` names need their own DNS.
export const s3Client = new S3Client({ ...configured, forcePathStyle: configured.endpoint !== undefined });
