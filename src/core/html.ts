// Messages reach the transport as Telegram HTML (core/transport.ts): whoever builds one from text —
// runs, triggers, the chat layer — escapes the text with this one function.

/** Escapes `&`, `<`, `>` and `"` for Telegram HTML (text and attribute values). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : "&quot;"));
}
