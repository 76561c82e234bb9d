/**
 * The store of booking documents: labels and other documents of a booking go to S3 as they arrive, and the
 * booking record keeps only their keys, so a document of any size never meets DynamoDB's 400 KB item limit.
 * Objects expire by the bucket's lifecycle rule (Ongoing advises letting label files go after about 30 days).
 */
import { GetObjectCommand, NoSuchKey, PutObjectCommand } from "@aws-sdk/client-s3";
import { s3Client } from "../shared/aws/s3.ts";
import { PermanentError, TransientError } from "../shared/errors.ts";
import type { Label } from "./transport-system.ts";

/** A document kept in the store: what the booking record holds instead of its content. */
export type StoredDocument = {
  fileName: string;
  mimeType: string;
  /** The object's key in the documents bucket. */
  key: string;
  /** Size of the document (decoded), for logs and metrics. */
  bytes: number;
};

export interface DocumentStore {
  /** Stores a document under `key` (overwriting what an earlier attempt stored there). */
  put(key: string, document: Label): Promise<StoredDocument>;
  /** A stored document's content, base64; PermanentError `document-missing` when it is gone (expired). */
  read(document: StoredDocument): Promise<string>;
}

export function s3DocumentStore(bucketName: string): DocumentStore {
  return {
    async put(key, { fileName, mimeType, base64 }) {
      const body = Buffer.from(base64, "base64");
      try {
        await s3Client.send(
          new PutObjectCommand({ Bucket: bucketName, Key: key, Body: body, ContentType: mimeType }),
        );
      } catch (error) {
        throw new TransientError("documents-unavailable", `document ${key} not stored: ${errorName(error)}`, {
          cause: error,
        });
      }
      return { fileName, mimeType, key, bytes: body.length };
    },

    async read({ key }) {
      try {
        const { Body } = await s3Client.send(new GetObjectCommand({ Bucket: bucketName, Key: key }));
        if (!Body) throw new TransientError("documents-unavailable", `document ${key} came back empty`);
        return await Body.transformToString("base64");
      } catch (error) {
        if (error instanceof NoSuchKey || (error as { name?: string }).name === "NoSuchKey") {
          throw new PermanentError(
            "document-missing",
            `document ${key} is no longer in the documents bucket (expired?); book again by hand`,
          );
        }
        if (error instanceof TransientError) throw error;
        throw new TransientError("documents-unavailable", `document ${key} not read: ${errorName(error)}`, {
          cause: error,
        });
      }
    },
  };
}

const errorName = (error: unknown) => (error instanceof Error ? error.name : String(error));
