// Pending permission questions from engines (Claude's can_use_tool): each becomes buttons on the run's
// progress message. Answered by an allowed user's press (or typed reply), or denied by a real timer when
// nobody answers.
//
// Three kinds of request:
// - a tool call (Bash, Write, …): ✅ Approve / ❌ Deny;
// - AskUserQuestion: every question with its options. A single-select option answers its question; a
//   multi-select option toggles ✓ and the question's Send fixes the selection; "Other…" waits for the
//   user's reply to the progress message as the typed answer. When every question has an answer the
//   engine gets `{ ...input, answers: { "<question>": "<label>" | "<a>, <b>" | "<typed>" } }`;
// - ExitPlanMode (plan review): ✅ Approve / ❌ Deny / 💬 Let's discuss, which waits for the user's reply
//   and denies with it as the feedback the model reads.
import type { PermissionDecision, PermissionRequest } from "../engines/types.ts";
import { randomBytes } from "../security/random.ts";
import { type Clock, systemClock } from "./clock.ts";
import type { ButtonRows } from "./transport.ts";

export const APPROVAL_PREFIX = "ap";

export interface QuestionOption {
  label: string;
  description?: string;
}

export interface Question {
  question: string;
  /** The short chip Claude puts on a question (≤ 12 characters), when given. */
  header?: string;
  options: QuestionOption[];
  multiSelect: boolean;
}

export type ApprovalKind = "tool" | "questions" | "plan";

export interface PendingApproval {
  id: string;
  runId: number;
  request: PermissionRequest;
  kind: ApprovalKind;
  /** AskUserQuestion: its questions (at most 4, each with at most 4 options); else empty. */
  questions: readonly Question[];
  /** Per question: its answer once chosen, typed or sent. */
  answers: ReadonlyArray<string | undefined>;
  /** Per question: the option indexes toggled on (multi-select questions). */
  selected: ReadonlyArray<ReadonlySet<number>>;
  /** Waiting for the user's typed reply: a question's "Other…" answer, or the plan discussion. */
  awaiting?: number | "discuss";
  /** ExitPlanMode: the plan text, when the request carries one. */
  plan?: string;
  createdAt: number;
}

interface Entry extends PendingApproval {
  answers: Array<string | undefined>;
  selected: Array<Set<number>>;
  resolve(d: PermissionDecision): void;
  timer: unknown;
}

export interface ApprovalHooks {
  /** The set of pending questions of a run, or their state, changed (re-render its buttons). */
  onChange(runId: number): void;
  /** A request was just added (after onChange): a long plan goes out as a document. */
  onAsked?(p: PendingApproval): void;
  /** A question was denied because nobody answered in time. */
  onTimeout(p: PendingApproval): void;
  /** An AskUserQuestion request got all its answers (they are echoed into the progress message). */
  onAnswered?(p: PendingApproval, answers: Record<string, string>): void;
}

export const DENY_MESSAGES = {
  user: "The user denied this tool call from Telegram. Do not retry it; explain what you wanted to do instead.",
  timeout: "Nobody answered this permission request in time, so it was denied. Continue without it.",
  cancelled: "The run was cancelled.",
  plan: "The user rejected this plan from Telegram. Do not start implementing it; ask what they want instead.",
} as const;

/** The deny message of "Let's discuss": the user's own words are the model's feedback. */
export function discussMessage(reply: string): string {
  return `The user does not approve the plan yet and wants to discuss it. Their reply: ${reply}`;
}

/** What a press did, for the toast; undefined when the press is stale, unknown or invalid. */
export type PressOutcome =
  | "approved"
  | "denied"
  | "chosen"
  | "toggled"
  | "sent"
  | "answered"
  | "awaiting-other"
  | "awaiting-discuss"
  | "empty";

const MAX_QUESTIONS = 4;
const MAX_OPTIONS = 4;

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function parseQuestions(input: Record<string, unknown>): Question[] {
  const raw = Array.isArray(input.questions) ? (input.questions as unknown[]) : [];
  const out: Question[] = [];
  for (const q of raw.slice(0, MAX_QUESTIONS)) {
    const r = (q ?? {}) as Record<string, unknown>;
    const question = str(r.question);
    if (question === undefined) continue;
    const opts = (Array.isArray(r.options) ? (r.options as unknown[]) : [])
      .map((o): QuestionOption | undefined => {
        if (typeof o === "string") return o ? { label: o } : undefined;
        const or = (o ?? {}) as Record<string, unknown>;
        const label = str(or.label);
        if (!label) return undefined;
        const description = str(or.description);
        return description ? { label, description } : { label };
      })
      .filter((o): o is QuestionOption => o !== undefined)
      .slice(0, MAX_OPTIONS);
    const header = str(r.header);
    out.push({ question, ...(header ? { header } : {}), options: opts, multiSelect: r.multiSelect === true });
  }
  return out;
}

function describe(req: PermissionRequest): { kind: ApprovalKind; questions: Question[]; plan?: string } {
  if (req.toolName === "AskUserQuestion") {
    const questions = parseQuestions(req.input);
    if (questions.length > 0) return { kind: "questions", questions };
  }
  if (req.toolName === "ExitPlanMode") {
    const plan = str(req.input.plan);
    return plan === undefined ? { kind: "plan", questions: [] } : { kind: "plan", questions: [], plan };
  }
  return { kind: "tool", questions: [] };
}

export class ApprovalCenter {
  readonly #pending = new Map<string, Entry>();
  readonly #timeoutMs: number;
  readonly #hooks: ApprovalHooks;
  readonly #clock: Clock;

  constructor(opts: { timeoutMs: number; hooks: ApprovalHooks; clock?: Clock }) {
    this.#timeoutMs = opts.timeoutMs;
    this.#hooks = opts.hooks;
    this.#clock = opts.clock ?? systemClock;
  }

  ask(runId: number, request: PermissionRequest): Promise<PermissionDecision> {
    // Unguessable: a button's callback data is the only proof of which request a press answers.
    const id = randomBytes(9).toString("base64url");
    const d = describe(request);
    return new Promise<PermissionDecision>((resolve) => {
      const timer = this.#clock.setTimeout(() => {
        const entry = this.#pending.get(id);
        if (!entry) return;
        this.#settle(id, { behavior: "deny", message: DENY_MESSAGES.timeout });
        this.#hooks.onTimeout(entry);
      }, this.#timeoutMs);
      this.#pending.set(id, {
        id,
        runId,
        request,
        kind: d.kind,
        questions: d.questions,
        answers: d.questions.map(() => undefined),
        selected: d.questions.map(() => new Set<number>()),
        ...(d.plan === undefined ? {} : { plan: d.plan }),
        createdAt: this.#clock.now(),
        resolve,
        timer,
      });
      this.#hooks.onChange(runId);
      const entry = this.#pending.get(id);
      if (entry) this.#hooks.onAsked?.(entry);
    });
  }

  pendingFor(runId: number): PendingApproval[] {
    return [...this.#pending.values()].filter((p) => p.runId === runId);
  }

  get(id: string): PendingApproval | undefined {
    return this.#pending.get(id);
  }

  /**
   * Applies a button press: "a" approve, "d" deny, "t" let's discuss (plans), "q<Q>o<N>" option N of
   * question Q (chooses it, or toggles it on a multi-select question), "q<Q>s" send question Q's
   * selection, "q<Q>x" Other… (the next reply is the answer). Undefined when stale, unknown or invalid.
   */
  answer(id: string, choice: string): PressOutcome | undefined {
    const entry = this.#pending.get(id);
    if (!entry) return undefined;
    if (entry.kind === "questions") return this.#answerQuestion(entry, choice);
    if (choice === "a") {
      this.#settle(id, { behavior: "allow", updatedInput: entry.request.input });
      return "approved";
    }
    if (choice === "d") {
      this.#settle(id, { behavior: "deny", message: entry.kind === "plan" ? DENY_MESSAGES.plan : DENY_MESSAGES.user });
      return "denied";
    }
    if (choice === "t" && entry.kind === "plan") {
      entry.awaiting = "discuss";
      this.#hooks.onChange(entry.runId);
      return "awaiting-discuss";
    }
    return undefined;
  }

  /** A run's request waiting for a typed reply (Other… or Let's discuss), if any. */
  awaitingText(runId: number): PendingApproval | undefined {
    return this.pendingFor(runId).find((p) => p.awaiting !== undefined);
  }

  /** The user's typed reply to a request waiting for one. False when it waits for nothing. */
  answerText(id: string, text: string): boolean {
    const entry = this.#pending.get(id);
    const typed = text.trim();
    if (!entry || entry.awaiting === undefined || typed === "") return false;
    if (entry.awaiting === "discuss") {
      this.#settle(id, { behavior: "deny", message: discussMessage(typed) });
      return true;
    }
    const q = entry.awaiting;
    entry.awaiting = undefined;
    entry.answers[q] = typed;
    entry.selected[q]?.clear();
    this.#afterAnswer(entry);
    return true;
  }

  #answerQuestion(entry: Entry, choice: string): PressOutcome | undefined {
    const m = /^q(\d)(?:o(\d)|(s)|(x))$/.exec(choice);
    if (!m) return undefined;
    const qi = Number(m[1]);
    const q = entry.questions[qi];
    if (q === undefined || entry.answers[qi] !== undefined) return undefined;
    const selected = entry.selected[qi] as Set<number>;
    if (m[2] !== undefined) {
      const oi = Number(m[2]);
      const option = q.options[oi];
      if (option === undefined) return undefined;
      if (entry.awaiting === qi) entry.awaiting = undefined;
      if (q.multiSelect) {
        if (selected.has(oi)) selected.delete(oi);
        else selected.add(oi);
        this.#hooks.onChange(entry.runId);
        return "toggled";
      }
      entry.answers[qi] = option.label;
      return this.#afterAnswer(entry) ? "answered" : "chosen";
    }
    if (m[3] !== undefined) {
      if (!q.multiSelect) return undefined;
      if (selected.size === 0) return "empty";
      entry.answers[qi] = [...selected]
        .sort((a, b) => a - b)
        .map((i) => q.options[i]?.label ?? "")
        .join(", ");
      return this.#afterAnswer(entry) ? "answered" : "sent";
    }
    entry.awaiting = qi;
    this.#hooks.onChange(entry.runId);
    return "awaiting-other";
  }

  /** True when that answer was the last one missing: the engine gets them all. */
  #afterAnswer(entry: Entry): boolean {
    if (entry.answers.some((a) => a === undefined)) {
      this.#hooks.onChange(entry.runId);
      return false;
    }
    const answers: Record<string, string> = {};
    entry.questions.forEach((q, i) => {
      answers[q.question] = entry.answers[i] as string;
    });
    this.#hooks.onAnswered?.(entry, answers);
    this.#settle(entry.id, { behavior: "allow", updatedInput: { ...entry.request.input, answers } });
    return true;
  }

  /** Denies everything still pending for a run (cancel, crash, shutdown). */
  cancelRun(runId: number): void {
    for (const entry of [...this.#pending.values()]) {
      if (entry.runId === runId) this.#settle(entry.id, { behavior: "deny", message: DENY_MESSAGES.cancelled }, false);
    }
  }

  #settle(id: string, decision: PermissionDecision, notify = true): void {
    const entry = this.#pending.get(id);
    if (!entry) return;
    this.#clock.clearTimeout(entry.timer);
    this.#pending.delete(id);
    entry.resolve(decision);
    if (notify) this.#hooks.onChange(entry.runId);
  }
}

const LABEL_MAX = 32;

function label(text: string): string {
  return text.length > LABEL_MAX ? `${text.slice(0, LABEL_MAX - 1)}…` : text;
}

/** Buttons for a run's pending questions (callback data stays far below Telegram's 64 bytes). */
export function approvalButtons(pending: readonly PendingApproval[]): ButtonRows {
  const rows: ButtonRows = [];
  for (const p of pending) {
    const data = (choice: string) => `${APPROVAL_PREFIX}:${p.id}:${choice}`;
    if (p.kind === "questions") {
      const numbered = p.questions.length > 1;
      p.questions.forEach((q, qi) => {
        if (p.answers[qi] !== undefined) return;
        const n = numbered ? `${qi + 1}· ` : "";
        const options = q.options.map((o, oi) => ({
          text: `${n}${q.multiSelect && p.selected[qi]?.has(oi) ? "✓ " : ""}${label(o.label)}`,
          data: data(`q${qi}o${oi}`),
        }));
        for (let i = 0; i < options.length; i += 2) rows.push(options.slice(i, i + 2));
        const tail = [{ text: `${n}✍️ Other…`, data: data(`q${qi}x`) }];
        if (q.multiSelect) tail.push({ text: `${n}📨 Send`, data: data(`q${qi}s`) });
        rows.push(tail);
      });
      continue;
    }
    const row = [
      { text: "✅ Approve", data: data("a") },
      { text: "❌ Deny", data: data("d") },
    ];
    if (p.kind === "plan") row.push({ text: "💬 Let's discuss", data: data("t") });
    rows.push(row);
  }
  return rows;
}
