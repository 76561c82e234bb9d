/** Use-case 2, transport booking, end to end with Ongoing's goods-owner REST API (scenarios in the support file). */
import { transportBookingScenarios } from "./transport-booking.support.ts";

transportBookingScenarios("rest");
