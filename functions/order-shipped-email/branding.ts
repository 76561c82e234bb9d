/** The language of a shipped-mail: the goods owner's choice, or by where the consignee lives. */
import type { Branding } from "../shared/goods-owners.ts";

export type Language = "sv" | "en";

/** `auto` writes Swedish to consignees in Sweden and English to everyone else. */
export function languageFor(
  branding: Pick<Branding, "language">,
  consigneeCountryCode: string | null | undefined,
): Language {
  if (branding.language !== "auto") return branding.language;
  return consigneeCountryCode?.trim().toUpperCase() === "SE" ? "sv" : "en";
}
