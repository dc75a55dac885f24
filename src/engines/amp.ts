// Amp: `amp --stream-json -x`, the prompt on stdin (execute mode reads it there: plain text, or one
// Claude-shaped user message with `--stream-json-input`). Its stream-json output has Claude's shape
// (§5.6), so it shares Claude's parser (engines/stream-json.ts); thread ids look like `T-<uuid>`.
import { AMP_MODES } from "../config/schema.ts";
import { defineEngine } from "./define.ts";
import { definePermissions } from "./permissions.ts";
import { createStreamJsonParser } from "./stream-json.ts";

export const ampEngine = defineEngine(
  // `amp threads continue` needs a thread id; there is no "newest thread" form.
  { id: "amp", cli: "amp", displayName: "Amp", npm: "@sourcegraph/amp", supportsContinue: false },
  ({ options, extraArgs, resumeArgs }) => {
    const jsonInput = options.stream_json_input;
    const label = options.model;
    return {
      buildArgs(job) {
        const args = resumeArgs(job);
        if (options.dangerously_allow_all) args.push("--dangerously-allow-all");
        // A per-chat model override selects the amp mode (amp has modes, not models).
        const mode = job.model ?? options.mode;
        if (mode !== undefined) args.push("--mode", mode);
        args.push("--stream-json");
        if (jsonInput) args.push("--stream-json-input");
        args.push(...extraArgs, "-x");
        return args;
      },
      // stdin closes after the prompt: amp then ends once its turn is done.
      stdinText: (job) =>
        jsonInput
          ? `${JSON.stringify({ type: "user", message: { role: "user", content: [{ type: "text", text: job.prompt }] } })}\n`
          : job.prompt,
      createParser(job) {
        const parser = createStreamJsonParser({ engine: "amp", displayName: "Amp", job });
        // The footer shows the configured label; amp itself reports no model.
        if (label === undefined) return parser;
        return {
          parse(msg) {
            return parser
              .parse(msg)
              .map((ev) =>
                ev.type === "started" ? { ...ev, meta: { ...ev.meta, model: ev.meta?.model ?? label } } : ev,
              );
          },
          missingCompletion: (code) => parser.missingCompletion(code),
        };
      },
      modelChoices: AMP_MODES,
      permissions: definePermissions({
        configured: undefined,
        order: [undefined],
        shellWithoutApproval: () => options.dangerously_allow_all,
      }),
    };
  },
);

export const createAmpEngine = ampEngine.create;
