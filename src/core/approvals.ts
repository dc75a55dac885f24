// Pending permission questions from engines (Claude's can_use_tool): each becomes buttons on the run's
// progress message. Answered by an allowed user's press, or denied by a real timer when nobody answers.
import { randomBytes } from "node:crypto";
import type { PermissionDecision, PermissionRequest } from "../engines/types.ts";
import { type Clock, systemClock } from "./clock.ts";
import type { ButtonRows } from "./transport.ts";

export const APPROVAL_PREFIX = "ap";

export interface PendingApproval {
  id: string;
  runId: number;
  request: PermissionRequest;
  /** Question text for AskUserQuestion, else undefined. */
  question?: string;
  options: string[];
  createdAt: number;
}

interface Entry extends PendingApproval {
  resolve(d: PermissionDecision): void;
  timer: unknown;
}

export interface ApprovalHooks {
  /** The set of pending questions of a run changed (re-render its buttons). */
  onChange(runId: number): void;
  /** A question was denied because nobody answered in time. */
  onTimeout(p: PendingApproval): void;
}

export const DENY_MESSAGES = {
  user: "The user denied this tool call from Telegram. Do not retry it; explain what you wanted to do instead.",
  timeout: "Nobody answered this permission request in time, so it was denied. Continue without it.",
  cancelled: "The run was cancelled.",
} as const;

function describeQuestion(req: PermissionRequest): { question?: string; options: string[] } {
  if (req.toolName !== "AskUserQuestion") return { options: [] };
  const qs = req.input.questions;
  const first = Array.isArray(qs) ? (qs[0] as Record<string, unknown> | undefined) : undefined;
  const question =
    typeof first?.question === "string"
      ? first.question
      : typeof req.input.question === "string"
        ? req.input.question
        : undefined;
  const rawOpts = Array.isArray(first?.options) ? (first.options as unknown[]) : [];
  const options = rawOpts
    .map((o) =>
      typeof o === "string"
        ? o
        : typeof (o as { label?: unknown })?.label === "string"
          ? (o as { label: string }).label
          : "",
    )
    .filter((o) => o.length > 0)
    .slice(0, 4);
  return { question, options };
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
    const { question, options } = describeQuestion(request);
    return new Promise<PermissionDecision>((resolve) => {
      const timer = this.#clock.setTimeout(() => {
        const entry = this.#pending.get(id);
        if (!entry) return;
        this.#settle(id, { behavior: "deny", message: DENY_MESSAGES.timeout });
        this.#hooks.onTimeout(entry);
      }, this.#timeoutMs);
      this.#pending.set(id, { id, runId, request, question, options, createdAt: this.#clock.now(), resolve, timer });
      this.#hooks.onChange(runId);
    });
  }

  pendingFor(runId: number): PendingApproval[] {
    return [...this.#pending.values()].filter((p) => p.runId === runId);
  }

  get(id: string): PendingApproval | undefined {
    return this.#pending.get(id);
  }

  /** Applies a button press ("a" approve, "d" deny, "o<N>" option N). False when stale or unknown. */
  answer(id: string, choice: string): boolean {
    const entry = this.#pending.get(id);
    if (!entry) return false;
    if (choice === "a") {
      this.#settle(id, { behavior: "allow", updatedInput: entry.request.input });
    } else if (choice === "d") {
      this.#settle(id, { behavior: "deny", message: DENY_MESSAGES.user });
    } else if (/^o\d$/.test(choice) && entry.options[Number(choice.slice(1))] !== undefined) {
      const answer = entry.options[Number(choice.slice(1))] as string;
      const answers = entry.question ? { [entry.question]: answer } : {};
      this.#settle(id, { behavior: "allow", updatedInput: { ...entry.request.input, answers } });
    } else {
      return false;
    }
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

/** Buttons for a run's pending questions (callback data stays far below Telegram's 64 bytes). */
export function approvalButtons(pending: readonly PendingApproval[]): ButtonRows {
  return pending.map((p) =>
    p.options.length > 0
      ? p.options.map((o, i) => ({ text: o.slice(0, 40), data: `${APPROVAL_PREFIX}:${p.id}:o${i}` }))
      : [
          { text: "✅ Approve", data: `${APPROVAL_PREFIX}:${p.id}:a` },
          { text: "❌ Deny", data: `${APPROVAL_PREFIX}:${p.id}:d` },
        ],
  );
}
