import { z } from "zod";

/**
 * What one vendor call did, decided where the HTTP happens (the adapter's HTTP core):
 * - `sent`: the vendor accepted it (a 2xx, even one whose body could not be read);
 * - `not_sent`: nothing reached the vendor (refused connection, DNS/TLS failure before the request was
 *   written), or the vendor refused it (a 4xx, 429 included): calling again cannot double it;
 * - `unknown`: the request may have reached the vendor (reset or close after it was written, our timeout,
 *   any 5xx, a body cut off mid-way): calling again may double it, so it is asked about, never repeated blindly.
 */
export const VendorOutcome = z.enum(["sent", "not_sent", "unknown"]);
export type VendorOutcome = z.infer<typeof VendorOutcome>;

/** The outcome a failed effect call implies: the error's own, else `unknown` for a timeout, else `not_sent`. */
export function outcomeOfFailure(error: unknown): VendorOutcome {
  if (typeof error === "object" && error !== null) {
    const declared = VendorOutcome.safeParse((error as { outcome?: unknown }).outcome);
    if (declared.success) return declared.data;
    // Our own run timeout (or any timeout an adapter did not classify) may have left the request in flight.
    if ((error as { code?: unknown }).code === "timeout") return "unknown";
  }
  // An error that names no outcome came from code that never reached a vendor (or classified it as refused).
  return "not_sent";
}
