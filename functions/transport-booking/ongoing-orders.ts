/**
 * The Ongoing side of the booking use-case: fetch the order, write the booking back. Small on purpose, so the
 * API behind it is chosen per goods owner: the goods-owner REST API here, Ongoing's SOAP Automation API in
 * `ongoing-orders-automation.ts`. Both give the same `OngoingOrder`.
 */
import type { OrderFields } from "../shared/ongoing/automation-requests.ts";
import type { OngoingClient, OngoingFile } from "../shared/ongoing/client.ts";
import type { OngoingOrder } from "../shared/ongoing/model.ts";

export interface OngoingOrders {
  /** Throws NotFoundError when the order does not exist. */
  getOrder(orderId: number): Promise<OngoingOrder>;
  writeWaybill(orderId: number, waybill: string): Promise<void>;
  writeTracking(orderId: number, tracking: { waybill: string; trackingUrl: string }): Promise<void>;
  /** Absent when the API has no call to add a parcel number (the booking counts the parcels it could not write). */
  writeParcel?(orderId: number, parcelNumber: string): Promise<void>;
  /** `willBeDeletedAt`: when Ongoing may remove the file (labels are not needed after about 30 days). */
  writeFile(
    orderId: number,
    file: { fileName: string; mimeType: string; base64: string; willBeDeletedAt?: Date | undefined },
  ): Promise<void>;
  /**
   * Sets the booking's other order fields (each a set, harmless to repeat). Returns the names of the fields the
   * API has no call for, which stay with the transport system.
   */
  writeOrderFields(orderId: number, fields: OrderFields): Promise<(keyof OrderFields)[]>;
  /** The files attached to the order: what a retry reads before it attaches any. */
  getFiles(orderId: number): Promise<OngoingFile[]>;
}

/** Through the goods-owner REST API. */
export function restOngoingOrders(client: OngoingClient): OngoingOrders {
  return {
    getOrder: (orderId) => client.getOrder(orderId),
    writeWaybill: (orderId, waybill) => client.patchWaybill(orderId, waybill),
    writeTracking: (orderId, { waybill, trackingUrl }) =>
      client.putOrderTracking(orderId, { waybill, trackingUrl, isReturnTracking: false }),
    writeParcel: (orderId, parcelNumber) =>
      client.putParcel(orderId, { parcelNumber, transportAdministrationType: "delivery" }),
    writeFile: (orderId, { fileName, mimeType, base64, willBeDeletedAt }) =>
      client.postOrderFile(orderId, {
        fileName,
        mimeType,
        fileDataBase64: base64,
        fileWillBeDeletedAt: willBeDeletedAt,
      }),
    getFiles: (orderId) => client.getOrderFiles(orderId),
    async writeOrderFields(orderId, { returnWaybill, ...rest }) {
      if (returnWaybill !== undefined) await client.patchReturnWaybill(orderId, returnWaybill);
      // Ongoing's REST API documents no call for the transporter order number or the freight weight and price.
      return (Object.keys(rest) as (keyof typeof rest)[]).filter((name) => rest[name] !== undefined);
    },
  };
}
