// The two faces of a doctor report: lines for people (✓ ! ✗, or ASCII tags without colour) and one
// JSON document for scripts.
import type { CheckResult, CheckStatus } from "./types.ts";

export interface RenderStyle {
  /** Symbols and colour (a terminal without NO_COLOR); otherwise [ok] [warn] [FAIL]. */
  fancy: boolean;
}

const SYMBOL: Record<CheckStatus, string> = { ok: "✓", warn: "!", error: "✗", skip: "-" };
const ASCII: Record<CheckStatus, string> = { ok: "[ok]", warn: "[warn]", error: "[FAIL]", skip: "[skip]" };
const COLOR: Record<CheckStatus, string> = { ok: "\x1b[32m", warn: "\x1b[33m", error: "\x1b[31m", skip: "\x1b[2m" };
const RESET = "\x1b[0m";

export function tallyChecks(checks: readonly CheckResult[]): { ok: number; warn: number; error: number; skip: number } {
  const count = (s: CheckStatus) => checks.filter((c) => c.status === s).length;
  return { ok: count("ok"), warn: count("warn"), error: count("error"), skip: count("skip") };
}

export function renderHuman(checks: readonly CheckResult[], header: string, style: RenderStyle): string {
  const tag = (s: CheckStatus) => (style.fancy ? `${COLOR[s]}${SYMBOL[s]}${RESET}` : ASCII[s]);
  const lines = [header];
  for (const c of checks) {
    lines.push(`${tag(c.status)} ${c.label}: ${c.detail}`);
    if ((c.status === "warn" || c.status === "error") && c.fix) lines.push(`    fix: ${c.fix}`);
  }
  const n = tallyChecks(checks);
  const verdict = n.error > 0 ? "problems found" : n.warn > 0 ? "ok, with warnings" : "all good";
  const skipped = n.skip > 0 ? `, ${n.skip} skipped` : "";
  lines.push(`${n.ok} ok, ${n.warn} warning(s), ${n.error} error(s)${skipped}: ${verdict}`);
  return `${lines.join("\n")}\n`;
}

export function renderJson(checks: readonly CheckResult[], checkedAt: Date): string {
  const ok = !checks.some((c) => c.status === "error");
  return `${JSON.stringify({ ok, checked_at: checkedAt.toISOString(), summary: tallyChecks(checks), checks }, null, 2)}\n`;
}
