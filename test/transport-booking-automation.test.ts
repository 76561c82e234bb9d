/** Use-case 2, transport booking, end to end with Ongoing's SOAP Automation API (scenarios in the support file). */
import { transportBookingScenarios } from "./transport-booking.support.ts";

transportBookingScenarios("automation");
