import { describe, expect, it } from "vitest";
import { findCardNumbers, looksLikeCardNumber } from "./card-data.js";

describe("card number detection", () => {
  it.each(["4242424242424242", "4242 4242 4242 4242", "4242-4242-4242-4242", "5555555555554444", "378282246310005", "card 4000056655665556 exp 12/30"])(
    "finds %s",
    (text) => expect(looksLikeCardNumber(text)).toBe(true),
  );

  it.each([
    ["an E.164 phone number", "+4930123456789"],
    ["a US phone number", "+15551230001"],
    ["a Luhn-invalid 16 digits", "4242424242424241"],
    ["a millisecond timestamp", "1767225600000"],
    ["a payment method reference", "pm_card_visa"],
    ["a ULID", "wr_01J8Z3K5M7N9P1Q3R5S7T9V1W3"],
    ["12 digits", "424242424242"],
  ])("ignores %s", (_what, text) => expect(looksLikeCardNumber(text)).toBe(false));

  it("names the path of every card-shaped value, numbers included", () => {
    expect(findCardNumbers({ amount_minor: 2500, note: "ok", card: { number: "4242424242424242" }, list: ["x", 4242424242424242] }, "payload")).toEqual([
      "payload.card.number",
      "payload.list.1",
    ]);
  });
});
