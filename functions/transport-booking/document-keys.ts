/**
 * Where a booking's documents (labels, customs papers) are kept in the documents bucket, under the one prefix
 * the stack grants the transport-booking function put and get on (`shared/contract/names.ts`).
 */
import { bookingDocumentsPrefix } from "../shared/contract/names.ts";

/**
 * The key of a booking's n-th document: the same for the same booking, so a retry overwrites the object it
 * stored before instead of adding one. File names keep only characters safe in any key.
 */
export function bookingDocumentKey(
  goodsOwnerId: number,
  orderId: number,
  index: number,
  fileName: string,
): string {
  const safeName = fileName.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 200);
  return `${bookingDocumentsPrefix}${goodsOwnerId}/${orderId}/${index + 1}-${safeName}`;
}
