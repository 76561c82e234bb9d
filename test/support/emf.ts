/**
 * The CloudWatch EMF blobs code writes to stdout (Powertools Metrics writes each as one JSON line) while `run`
 * runs, parsed; everything else written meanwhile is dropped.
 */
import { vi } from "vitest";

export type EmfBlob = Record<string, unknown>;

export async function captureEmf(run: () => unknown): Promise<EmfBlob[]> {
  const blobs: EmfBlob[] = [];
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    for (const line of String(chunk).split("\n")) {
      if (line.includes('"_aws"')) blobs.push(JSON.parse(line) as EmfBlob);
    }
    return true;
  });
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return blobs;
}
