/** The nShift simulator's state: stored and printed shipments, injected faults, request counts. */
import * as z from "zod";
import type { nshiftShipmentSchema } from "../../functions/transport-booking/nshift-shipment.ts";

/** The path of the REST API root, as on api.unifaun.com. */
export const nshiftApiPath = "/rs-extapi/v1";

export const nshiftFaultSchema = z.object({
  /** The operation it hits. @default "any" */
  operation: z.enum(["search", "store", "print", "any"]).default("any"),
  /** Answer with this status (and `body`) instead. */
  status: z.number().int().min(100).max(599).optional(),
  body: z.unknown().optional(),
  /** Drop the connection without an answer. */
  reset: z.boolean().optional(),
  /** Wait this long before answering (longer than the client's time-out makes a time-out). */
  delayMs: z.number().int().min(0).optional(),
  /** Carry the request out first, then fail: the client never learns of what it did. */
  afterEffect: z.boolean().optional(),
  /** How many requests it applies to. @default 1 */
  times: z.number().int().min(1).default(1),
});
export type NshiftFault = z.input<typeof nshiftFaultSchema>;
export type Operation = "search" | "store" | "print";

export interface StoredRecord {
  readonly id: string;
  readonly shipment: z.infer<typeof nshiftShipmentSchema>;
  readonly created: string;
  status: "READY" | "INVALID" | "PRINTED";
  readonly statuses: { message: string; messageCode: string; field: string; type: string }[];
}

export interface PrintedRecord {
  readonly id: string;
  readonly storedId: string;
  readonly shipmentNo: string;
  readonly orderNo: string | undefined;
  readonly reference: string;
  readonly parcels: { parcelNo: string }[];
  readonly label: string;
}

export interface NshiftSimulatorState {
  readonly stored: Map<string, StoredRecord>;
  readonly printed: PrintedRecord[];
  readonly faults: Array<z.output<typeof nshiftFaultSchema>>;
  /** Requests received per operation, faulted ones included. */
  readonly requests: Record<Operation, number>;
}

/** The receiver fields a stored shipment needs to be READY (else INVALID, with a message per field missing). */
export const requiredFields: Array<[string, (shipment: z.infer<typeof nshiftShipmentSchema>) => unknown]> = [
  ["Address_Name", (shipment) => shipment.receiver.name],
  ["Address_Zipcode", (shipment) => shipment.receiver.zipcode],
  ["Address_City", (shipment) => shipment.receiver.city],
  ["Address_Country", (shipment) => shipment.receiver.country],
];
