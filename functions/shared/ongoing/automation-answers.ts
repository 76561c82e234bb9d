/**
 * What the Automation API's answers mean. SOAP faults: a fault whose message speaks of the login is handled like
 * a 401 (re-read the secret once, then permanent); other `soap:Client` faults are permanent; `soap:Server` faults
 * may heal (transient). A result with `Success=false` is not found when its message says so, else permanent
 * (Ongoing refused the change).
 */
import { NotFoundError, PermanentError } from "../errors.ts";
import type { HttpResponse } from "../http.ts";
import type { AutomationOperation } from "./automation-requests.ts";
import {
  orderFromSoap,
  ordersInResult,
  parseEnvelope,
  resultStatus,
  type SoapFault,
  type XmlNode,
  type XmlObject,
} from "./automation-xml.ts";
import { type OngoingAnswer, statusAnswer } from "./call.ts";
import { type OngoingOrder, orderSchema } from "./model.ts";

// A login fault from an ASMX service arrives as a server fault; only its words tell it apart.
const loginFault = /password|user ?name|log ?in|authenticat|authori[sz]|credential/i;
const notFoundMessage = /not (be )?found|does not exist|doesn't exist|no such order|unknown order/i;

/** Ongoing's words, shortened; never our request data. */
const ongoingWords = (message: string) =>
  message.trim() === "" ? "no message" : message.trim().slice(0, 300);

function faultAnswer(operation: AutomationOperation, fault: SoapFault): OngoingAnswer<never> {
  const message = `Ongoing ${operation} SOAP fault (${fault.code}): ${ongoingWords(fault.message)}`;
  if (loginFault.test(fault.message)) return { reauthenticate: { code: "ongoing-unauthorized", message } };
  if (notFoundMessage.test(fault.message)) throw new NotFoundError(message);
  if (/^client$/i.test(fault.code)) throw new PermanentError("ongoing-bad-request", message);
  return { retry: { code: "ongoing-unavailable", message } };
}

export function interpret(operation: AutomationOperation, response: HttpResponse): OngoingAnswer<XmlObject> {
  let body: ReturnType<typeof parseEnvelope> | undefined;
  try {
    body = parseEnvelope(response.body);
  } catch {
    // Not SOAP (a proxy's page, an empty body): the HTTP status alone decides.
  }
  if (body && "fault" in body) return faultAnswer(operation, body.fault);
  if (response.status === 200 && body) {
    if (body.element !== `${operation}Response`) {
      throw new PermanentError(
        "ongoing-unexpected-response",
        `Ongoing ${operation}: answered with ${body.element}, not ${operation}Response`,
      );
    }
    return { done: body.content };
  }
  if (response.status === 404) {
    throw new PermanentError(
      "ongoing-endpoint-missing",
      `Ongoing ${operation} answered 404: no Automation API at this URL`,
    );
  }
  if (response.status >= 200 && response.status < 300) {
    return {
      retry: { code: "ongoing-unexpected-response", message: `Ongoing ${operation}: the answer is not SOAP` },
    };
  }
  return statusAnswer(operation, response, "no SOAP fault");
}

/** Every element in a `GetFileList` result that names a file, however the list is wrapped (not documented). */
export function filesIn(node: XmlNode | undefined): XmlObject[] {
  if (node === undefined || typeof node === "string") return [];
  if (Array.isArray(node)) return node.flatMap(filesIn);
  if ("FileName" in node) return [node];
  return Object.values(node).flatMap((value) => filesIn(value));
}

export function checkSuccess(operation: AutomationOperation, result: XmlObject | undefined): void {
  const { success, message } = resultStatus(result);
  if (success) return;
  const detail = `Ongoing ${operation} refused: ${ongoingWords(message)}`;
  if (notFoundMessage.test(message)) throw new NotFoundError(detail);
  if (loginFault.test(message)) throw new PermanentError("ongoing-unauthorized", detail);
  throw new PermanentError("ongoing-rejected", detail);
}

/** The goods owner's order in a `GetOrdersByQuery` result, checked against the model; NotFoundError when absent. */
export function orderIn(result: XmlObject | undefined, goodsOwnerId: number, orderId: number): OngoingOrder {
  const orders = ordersInResult(result).map(orderFromSoap);
  const order = orders.find(
    (candidate) => candidate.orderInfo?.orderId === orderId && candidate.goodsOwner?.id === goodsOwnerId,
  );
  if (!order) {
    throw new NotFoundError(
      `Ongoing GetOrdersByQuery: no order ${orderId} for goods owner ${goodsOwnerId} (${orders.length} other)`,
    );
  }
  const parsed = orderSchema.safeParse(order);
  if (!parsed.success) {
    const where = parsed.error.issues.map((issue) => issue.path.join(".")).join(", ");
    throw new PermanentError(
      "ongoing-unexpected-response",
      `Ongoing GetOrdersByQuery: the order does not match the model (${where})`,
    );
  }
  return parsed.data;
}
