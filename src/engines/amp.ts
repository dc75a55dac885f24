// Amp: `amp --stream-json -x`, the prompt on stdin (execute mode reads it there: plain text, or one
// Claude-shaped user message with `--stream-json-input`). Its stream-json output has Claude's shape
// (§5.6), so it shares Claude's parser; thread ids look like `T-<uuid>`.
import { UntetherError } from "../errors.ts";
import { createStreamJsonParser } from "./claude.ts";
import {
  type Json,
  optionalBool,
  optionalString,
  rejectManagedFlags,
  stringList,
} from "./tool-actions.ts";
import type { EngineDefinition } from "./types.ts";
import { definePermissions } from "./permissions.ts";
import { defineResumeSyntax } from "./resume-syntax.ts";

/** The `[amp]` table (untether-behaviour.md §2.6). */
export interface AmpOptions {
  /** Only a label for the footer: amp picks its model from the mode. */
  model?: string;
  mode?: string;
  extra_args?: string[];
  dangerously_allow_all?: boolean;
  stream_json_input?: boolean;
}

export const AMP_MODES = ["deep", "free", "rush", "smart"] as const;

const MANAGED = ["-x", "--execute", "--stream-json", "--stream-json-input", "--dangerously-allow-all", "--mode", "-m"];

export const AMP_RESUME = defineResumeSyntax({
  engine: "amp",
  command: "amp\\s+threads\\s+continue",
  idPattern: /^T-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  show: (id) => `amp threads continue ${id}`,
});

export function createAmpEngine(options: AmpOptions = {}): EngineDefinition {
  const o: Json = { ...options };
  const extraArgs = stringList("amp", "extra_args", o.extra_args, []);
  rejectManagedFlags("amp", extraArgs, MANAGED);
  const model = optionalString("amp", "model", o.model);
  const mode = optionalString("amp", "mode", o.mode);
  if (mode !== undefined && !(AMP_MODES as readonly string[]).includes(mode)) {
    throw new UntetherError("engine.bad_option", `Invalid \`amp.mode\`; expected one of ${AMP_MODES.join(", ")}.`);
  }
  const allowAll = optionalBool("amp", "dangerously_allow_all", o.dangerously_allow_all, false);
  const jsonInput = optionalBool("amp", "stream_json_input", o.stream_json_input, false);

  return {
    id: "amp",
    cli: "amp",
    displayName: "Amp",
    // `amp threads continue` needs a thread id; there is no "newest thread" form.
    supportsContinue: false,
    buildArgs(job) {
      const args: string[] = [];
      if (job.resume?.value && !job.resume.isContinue) args.push("threads", "continue", AMP_RESUME.checkedId(job.resume));
      if (allowAll) args.push("--dangerously-allow-all");
      // A per-chat model override selects the amp mode (amp has modes, not models).
      const m = job.model ?? mode;
      if (m !== undefined) args.push("--mode", m);
      args.push("--stream-json");
      if (jsonInput) args.push("--stream-json-input");
      args.push(...extraArgs, "-x");
      return args;
    },
    // stdin closes after the prompt: amp then ends once its turn is done.
    stdinText: (job) =>
      jsonInput ? `${JSON.stringify({ type: "user", message: { role: "user", content: [{ type: "text", text: job.prompt }] } })}\n` : job.prompt,
    createParser(job) {
      const parser = createStreamJsonParser({ engine: "amp", displayName: "Amp", job });
      // The footer shows the configured label; amp itself reports no model.
      if (model === undefined) return parser;
      return {
        parse(msg) {
          return parser.parse(msg).map((ev) =>
            ev.type === "started" ? { ...ev, meta: { ...ev.meta, model: ev.meta?.model ?? model } } : ev,
          );
        },
        missingCompletion: (code) => parser.missingCompletion(code),
      };
    },
    resume: AMP_RESUME,
    permissions: definePermissions({ configured: undefined, order: [undefined], shellWithoutApproval: () => allowAll }),
  };
}
