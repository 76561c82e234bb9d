/** Use-case 2, transport booking, end to end with Ongoing's SOAP Automation API (scenarios in transport-booking.scenarios.ts). */
import { transportBookingScenarios } from "./transport-booking.scenarios.ts";

transportBookingScenarios("automation");
