/**
 * What a function knows about one goods owner: its Ongoing credentials, the Ongoing API the transport use-case
 * speaks for it, its transporters and its mail branding. Each is the goods owner's own setting in GOODS_OWNERS,
 * else the deployment's default; when neither exists the goods owner is not configured for that, which is a
 * permanent failure with a named code (dead-lettered with the reason), never a crash or a silent skip.
 */

import type { EmailBranding, GoodsOwnerSettings, TransporterMatch } from "./contract/settings.ts";
import { PermanentError } from "./errors.ts";

export type OngoingApi = "rest" | "automation";

const own = (goodsOwnerId: number, goodsOwners: GoodsOwnerSettings) => goodsOwners[String(goodsOwnerId)];

/** The Secrets Manager secret with the goods owner's REST API user. Throws `no-credentials`. */
export function credentialsSecretFor(
  goodsOwnerId: number,
  settings: { GOODS_OWNERS: GoodsOwnerSettings; ONGOING_CREDENTIALS_SECRET?: string | undefined },
): string {
  const name =
    own(goodsOwnerId, settings.GOODS_OWNERS)?.credentialsSecretName ?? settings.ONGOING_CREDENTIALS_SECRET;
  if (name === undefined || name === "") {
    throw new PermanentError(
      "no-credentials",
      `no Ongoing API credentials configured for goods owner ${goodsOwnerId} ` +
        `(set goodsOwners.${goodsOwnerId}.credentialsSecretName or ongoing.credentialsSecretName)`,
    );
  }
  return name;
}

/** Which Ongoing API the transport use-case fetches and writes back through for the goods owner. */
export function transportApiFor(
  goodsOwnerId: number,
  settings: { GOODS_OWNERS: GoodsOwnerSettings; ONGOING_TRANSPORT_API: OngoingApi },
): OngoingApi {
  return own(goodsOwnerId, settings.GOODS_OWNERS)?.transportApi ?? settings.ONGOING_TRANSPORT_API;
}

export type TransportAdapter = "http" | "nshift";

/** Which transport adapter books the goods owner's orders: its own choice, else the deployment's. */
export function transportAdapterFor(
  goodsOwnerId: number,
  settings: { GOODS_OWNERS: GoodsOwnerSettings; TRANSPORT_ADAPTER: TransportAdapter },
): TransportAdapter {
  return own(goodsOwnerId, settings.GOODS_OWNERS)?.transportAdapter ?? settings.TRANSPORT_ADAPTER;
}

/** The integrator login's secret for the Automation API (one for all goods owners). Throws `no-credentials`. */
export function automationCredentialsSecretFor(
  goodsOwnerId: number,
  settings: { ONGOING_AUTOMATION_CREDENTIALS_SECRET?: string | undefined },
): string {
  const name = settings.ONGOING_AUTOMATION_CREDENTIALS_SECRET;
  if (name === undefined || name === "") {
    throw new PermanentError(
      "no-credentials",
      `no Ongoing Automation API credentials configured for goods owner ${goodsOwnerId}, which is set to ` +
        "the Automation API (set ongoing.automationCredentialsSecretName)",
    );
  }
  return name;
}

/**
 * The transporters booked for the goods owner: its own list, else the default. `[]` means book nothing (each
 * order is a counted skip); no list at all throws `no-transporters-configured`.
 */
export function transportersFor(
  goodsOwnerId: number,
  settings: { GOODS_OWNERS: GoodsOwnerSettings; TRANSPORTERS?: TransporterMatch[] | undefined },
): TransporterMatch[] {
  const transporters = own(goodsOwnerId, settings.GOODS_OWNERS)?.transporters ?? settings.TRANSPORTERS;
  if (transporters === undefined) {
    throw new PermanentError(
      "no-transporters-configured",
      `no transporter list configured for goods owner ${goodsOwnerId} ` +
        `(set goodsOwners.${goodsOwnerId}.transporters or transport.transporters; [] books nothing)`,
    );
  }
  return transporters;
}

/** The sender and look of a goods owner's shipped-order mail. */
export interface Branding {
  readonly fromAddress: string;
  readonly replyTo: readonly string[];
  /** Undefined: the goods owner's name from Ongoing. */
  readonly brandName: string | undefined;
  readonly language: "auto" | "sv" | "en";
}

/**
 * The goods owner's own `email` merged field by field over EMAIL_DEFAULT. Without a From address from either
 * throws `no-email-branding`.
 */
export function brandingFor(
  goodsOwnerId: number,
  settings: { GOODS_OWNERS: GoodsOwnerSettings; EMAIL_DEFAULT?: EmailBranding | undefined },
): Branding {
  const mine = own(goodsOwnerId, settings.GOODS_OWNERS)?.email ?? {};
  const fallback = settings.EMAIL_DEFAULT ?? {};
  const fromAddress = mine.fromAddress ?? fallback.fromAddress;
  if (fromAddress === undefined || fromAddress === "") {
    throw new PermanentError(
      "no-email-branding",
      `no mail sender configured for goods owner ${goodsOwnerId} ` +
        `(set goodsOwners.${goodsOwnerId}.email.fromAddress or email.default)`,
    );
  }
  return {
    fromAddress,
    replyTo: mine.replyTo ?? fallback.replyTo ?? [],
    brandName: mine.brandName ?? fallback.brandName,
    language: mine.language ?? fallback.language ?? "auto",
  };
}
