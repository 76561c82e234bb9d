import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type Emulator, startSqs } from "../../local/emulators.ts";
import type { DocumentStore } from "./documents.ts";

// fauxqs serves S3 beside SQS: the real wire protocol, on loopback.
let s3Emulator: Emulator;
let store: DocumentStore;
const bucket = "documents-test";

beforeAll(async () => {
  s3Emulator = await startSqs();
  for (const [name, value] of Object.entries({
    AWS_ENDPOINT_URL_S3: s3Emulator.endpoint,
    AWS_REGION: "eu-west-1",
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
  })) {
    vi.stubEnv(name, value);
  }
  const admin = new S3Client({
    endpoint: s3Emulator.endpoint,
    region: "eu-west-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    forcePathStyle: true,
  });
  await admin.send(new CreateBucketCommand({ Bucket: bucket }));
  admin.destroy();
  // Imported once the endpoint is set: the shared client reads it when first loaded.
  const { s3DocumentStore } = await import("./documents.ts");
  store = s3DocumentStore(bucket);
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await s3Emulator?.stop();
});

describe("s3DocumentStore", () => {
  it("stores a document under its key and reads back the same bytes", async () => {
    const bytes = Buffer.alloc(300_000, 7);
    const label = { fileName: "label.pdf", mimeType: "application/pdf", base64: bytes.toString("base64") };
    const stored = await store.put("booking-documents/159/1/1-label.pdf", label);
    expect(stored).toEqual({
      fileName: "label.pdf",
      mimeType: "application/pdf",
      key: "booking-documents/159/1/1-label.pdf",
      bytes: 300_000,
    });
    expect(await store.read(stored)).toBe(label.base64);
    // A retry stores over the same key.
    await store.put(stored.key, { ...label, base64: "JVBERi0=" });
    expect(await store.read(stored)).toBe("JVBERi0=");
  });

  it("fails permanently, with what to do, when a document is gone (expired)", async () => {
    const gone = {
      fileName: "l.pdf",
      mimeType: "application/pdf",
      key: "booking-documents/159/2/1-l.pdf",
      bytes: 1,
    };
    await expect(store.read(gone)).rejects.toMatchObject({
      name: "PermanentError",
      code: "document-missing",
      message: expect.stringContaining(
        "booking-documents/159/2/1-l.pdf is no longer in the documents bucket",
      ),
    });
  });

  it("fails transiently when the bucket cannot be reached", async () => {
    const { s3DocumentStore } = await import("./documents.ts");
    await expect(
      s3DocumentStore("no-such-bucket").put("booking-documents/x", {
        fileName: "x",
        mimeType: "application/pdf",
        base64: "JVBERi0=",
      }),
    ).rejects.toMatchObject({ name: "TransientError", code: "documents-unavailable" });
  });
});
