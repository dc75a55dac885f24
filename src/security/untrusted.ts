// Untrusted text (webhook payloads, fetched data) reaches an agent only behind a marker line, so the
// agent can tell instructions from data. The payload itself must not be able to print a marker (or
// anything shaped like one) and so fake where a trusted or untrusted section starts or ends.

export const WEBHOOK_PAYLOAD_MARKER = "#-- EXTERNAL WEBHOOK PAYLOAD --#";
export const FETCHED_DATA_MARKER = "#-- EXTERNAL FETCHED DATA --#";

// '#' and '-' plus every code point that NFKC maps to them (U+FE5F, U+FF03; U+FE63, U+FF0D), and the
// dash look-alikes an LLM would read as '-' (hyphens, dashes, minus).
const HASH = "[#\\uFE5F\\uFF03]";
const DASH = "[\\-\\u2010-\\u2015\\u2212\\u2043\\uFE58\\uFE63\\uFF0D]";
// Horizontal whitespace only: "---\n# Title" (a markdown rule then a heading) is not a fence.
const HS = "[^\\S\\r\\n\\u0085\\u2028\\u2029]*";

/** A hash that touches a run of two or more dashes on either side: the `#--` / `--#` fence tokens. */
const FENCE_HASH = new RegExp(`${HASH}(?=${HS}${DASH}${HS}${DASH})|(?<=${DASH}${HS}${DASH}${HS})${HASH}`, "gu");

/**
 * Breaks every `#--` / `--#` fence token (including look-alike and spaced forms) by turning the hash
 * into `(#)`: the text stays readable, but can no longer spell a marker.
 */
export function neutraliseMarkers(text: string): string {
  return text.replace(FENCE_HASH, "(#)");
}

export function wrapWebhookPayload(text: string): string {
  return `${WEBHOOK_PAYLOAD_MARKER}\n${neutraliseMarkers(text)}`;
}

export function wrapFetchedData(text: string): string {
  return `${FETCHED_DATA_MARKER}\n${neutraliseMarkers(text)}`;
}
