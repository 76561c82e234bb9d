/**
 * The Ongoing side of the booking use-case through Ongoing's SOAP Automation API (one integrator login for
 * many goods owners). It has no call to add a parcel number, so `writeParcel` is absent: the parcel numbers
 * stay with the transport system and on the label, and the booking counts them as not written.
 */
import type { AutomationClient } from "../shared/ongoing/automation.ts";
import type { OngoingOrders } from "./ongoing-orders.ts";

export function automationOngoingOrders(client: AutomationClient, goodsOwnerId: number): OngoingOrders {
  // UploadOrderFile names the order by its number: remember the numbers of the orders fetched here.
  const orderNumbers = new Map<number, string | null | undefined>();
  return {
    async getOrder(orderId) {
      const order = await client.getOrder(goodsOwnerId, orderId);
      orderNumbers.set(orderId, order.orderInfo.orderNumber);
      return order;
    },
    writeWaybill: (orderId, waybill) => client.setWaybill(goodsOwnerId, orderId, waybill),
    writeTracking: (orderId, { waybill, trackingUrl }) =>
      client.addTracking(goodsOwnerId, orderId, { waybill, trackingUrl, isReturn: false }),
    writeFile: (orderId, { fileName, mimeType, base64, willBeDeletedAt }) =>
      client.uploadOrderFile(
        goodsOwnerId,
        { orderId, orderNumber: orderNumbers.get(orderId) },
        { fileName, mimeType, fileDataBase64: base64, willBeDeletedAt },
      ),
    getFiles: (orderId) => client.getOrderFiles(goodsOwnerId, orderId),
    async writeOrderFields(orderId, fields) {
      await client.updateOrderFields(goodsOwnerId, orderId, fields);
      return [];
    },
  };
}
