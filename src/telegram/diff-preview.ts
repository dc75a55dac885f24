// The change an Edit/Write/MultiEdit approval asks for, as a short unified diff a phone can show:
// what you approve is what you see. Capped; the rest is counted ("+N more lines").
import { escapeHtml } from "./html.ts";

const MAX_LINES = 12;
const MAX_LINE_CHARS = 100;
/** Longer inputs are not line-diffed (the DP is quadratic): all old lines out, all new in. */
const MAX_DIFF_LINES = 400;

type Op = { kind: " " | "-" | "+"; text: string };

function lines(s: string): string[] {
  if (s === "") return [];
  const l = s.replace(/\r\n?/g, "\n").split("\n");
  if (l.at(-1) === "") l.pop();
  return l;
}

/** Longest-common-subsequence line diff. */
export function lineDiff(before: string, after: string): Op[] {
  const a = lines(before);
  const b = lines(after);
  if (a.length > MAX_DIFF_LINES || b.length > MAX_DIFF_LINES) {
    return [...a.map((text) => ({ kind: "-" as const, text })), ...b.map((text) => ({ kind: "+" as const, text }))];
  }
  const cols = b.length + 1;
  const lcs = new Int32Array((a.length + 1) * cols);
  const at = (i: number, j: number) => lcs[i * cols + j] ?? 0;
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--)
      lcs[i * cols + j] = a[i] === b[j] ? at(i + 1, j + 1) + 1 : Math.max(at(i + 1, j), at(i, j + 1));
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      ops.push({ kind: " ", text: a[i] ?? "" });
      i++;
      j++;
    } else if (i < a.length && (j >= b.length || at(i + 1, j) >= at(i, j + 1))) {
      // Removals before additions, as in a unified diff.
      ops.push({ kind: "-", text: a[i] ?? "" });
      i++;
    } else {
      ops.push({ kind: "+", text: b[j] ?? "" });
      j++;
    }
  }
  return ops;
}

/** Changed lines with one line of context around each change; "gap" where unchanged lines are left out. */
function hunks(ops: Op[]): Array<Op | "gap"> {
  const changed = (o: Op | undefined) => o !== undefined && o.kind !== " ";
  const out: Array<Op | "gap"> = [];
  ops.forEach((o, k) => {
    if (changed(o) || changed(ops[k - 1]) || changed(ops[k + 1])) out.push(o);
    else if (out.length > 0 && out.at(-1) !== "gap") out.push("gap");
  });
  while (out.at(-1) === "gap") out.pop();
  return out;
}

function render(path: string | undefined, shown: Array<Op | "gap">): string | undefined {
  if (shown.length === 0) return undefined;
  const body: string[] = [];
  let changedShown = 0;
  for (const o of shown.slice(0, MAX_LINES)) {
    if (o === "gap") body.push("…");
    else {
      const t = o.text.length > MAX_LINE_CHARS ? `${o.text.slice(0, MAX_LINE_CHARS)}…` : o.text;
      body.push(`${o.kind}${t}`);
      if (o.kind !== " ") changedShown++;
    }
  }
  const count = (kind: "+" | "-") => shown.filter((o) => o !== "gap" && o.kind === kind).length;
  const added = count("+");
  const removed = count("-");
  const more = added + removed - changedShown;
  const head = `${path ? `${escapeHtml(path)} ` : ""}(+${added} −${removed})`;
  const tail = more > 0 ? `\n<i>+${more} more changed line${more > 1 ? "s" : ""}</i>` : "";
  return `${head}\n<pre><code class="language-diff">${escapeHtml(body.join("\n"))}</code></pre>${tail}`;
}

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** The diff for a file-changing tool's input, or undefined for other tools or inputs without one. */
export function diffPreview(toolName: string, input: Record<string, unknown>): string | undefined {
  const path = str(input.file_path) ?? str(input.path);
  if (toolName === "Write") {
    const content = str(input.content);
    return content === undefined ? undefined : render(path, hunks(lineDiff("", content)));
  }
  if (toolName === "Edit") {
    const before = str(input.old_string);
    const after = str(input.new_string);
    return before === undefined || after === undefined ? undefined : render(path, hunks(lineDiff(before, after)));
  }
  if (toolName === "MultiEdit" && Array.isArray(input.edits)) {
    const shown: Array<Op | "gap"> = [];
    for (const e of input.edits as unknown[]) {
      if (typeof e !== "object" || e === null) continue;
      const before = "old_string" in e ? str(e.old_string) : undefined;
      const after = "new_string" in e ? str(e.new_string) : undefined;
      if (before === undefined || after === undefined) continue;
      if (shown.length) shown.push("gap");
      shown.push(...hunks(lineDiff(before, after)));
    }
    return render(path, shown);
  }
  return undefined;
}
