// What every engine module repeats, written once: its options from the config schema (defaults
// applied, checked, managed flags refused), the model flag, extra_args, the resume arguments
// (engines/resume-syntax.ts), the environment it adds or removes, the prompt on stdin, and the facts
// doctor needs without building it (executable, npm package). An engine module keeps only its
// command line's shape, its parser and its permission policy.
import { Value } from "@sinclair/typebox/value";
import {
  type AnyEngineOptions,
  type ConfigurableEngineId,
  ENGINE_MANAGED_FLAGS,
  type EngineOptions,
  EngineTableSchemas,
  managedFlagOf,
} from "../config/schema.ts";
import { UntetherError } from "../errors.ts";
import { RESUME_SYNTAX, type ResumeSyntax } from "./resume-syntax.ts";
import type { EngineDefinition, EngineJob } from "./types.ts";

/** An engine's options as a caller may give them: any key left out takes the schema's default. */
export type EngineInput<K extends ConfigurableEngineId> = Partial<EngineOptions<K>>;

/** Facts about an engine that hold whatever its options (doctor, docs, messages). */
export interface EngineAbout<K extends ConfigurableEngineId = ConfigurableEngineId> {
  id: K;
  /** Executable name looked up on PATH. */
  cli: string;
  displayName: string;
  /** npm package of the CLI (`npm install -g <npm>`). */
  npm: string;
  /** Whether `/continue` (resume the newest session in the project dir) is supported. */
  supportsContinue: boolean;
}

/**
 * The options of engine `id`, defaults from the schema applied, checked against the same schema the
 * config is validated with (the config is already valid; this guards other callers: tests, bench).
 * Throws `engine.bad_option` naming the key, or `engine.managed_flag` for an `extra_args` entry that
 * would override a flag Untether sets.
 */
export function engineOptions<K extends ConfigurableEngineId>(
  id: K,
  input: EngineInput<K> | undefined,
): EngineOptions<K> {
  // The union of the tables' schemas: Value.Check then narrows to any engine's options.
  const schema: (typeof EngineTableSchemas)[ConfigurableEngineId] = EngineTableSchemas[id];
  const value: unknown = Value.Default(schema, structuredClone(input ?? {}));
  if (!Value.Check(schema, value)) {
    const first = Value.Errors(schema, value).First();
    const key = first?.path.replace(/^\//, "").replaceAll("/", ".") ?? "";
    throw new UntetherError(
      "engine.bad_option",
      `Invalid \`${id}${key ? `.${key}` : ""}\`: ${first?.message ?? "invalid"}.`,
    );
  }
  for (const arg of value.extra_args) {
    const flag = managedFlagOf(arg, ENGINE_MANAGED_FLAGS[id]);
    if (flag !== undefined) {
      throw new UntetherError(
        "engine.managed_flag",
        `Flag '${flag}' in \`${id}.extra_args\` is managed by Untether and cannot be overridden; remove it from the config.`,
      );
    }
  }
  // Checked against EngineTableSchemas[id] above: the options of engine K (TypeScript cannot follow
  // the id from the union back to K).
  return value as EngineOptions<K>;
}

/** What defineEngine hands an engine module: its checked options and the shared argument pieces. */
export interface EngineKit<K extends ConfigurableEngineId> {
  options: EngineOptions<K>;
  /** `extra_args` from the config, checked against the managed flags. */
  extraArgs: readonly string[];
  /** The run's model: the chat's /model, else the configured `model`. */
  model(job: EngineJob): string | undefined;
  /** `[flag, model]` when a model is set, else []. */
  modelArgs(job: EngineJob, flag?: string): string[];
  /** The resume (or continue) arguments of the run, from the engine's resume syntax. */
  resumeArgs(job: EngineJob): string[];
  resume: ResumeSyntax;
}

/** The parts of an engine definition that are the engine's own. */
export type EngineBody = Omit<
  EngineDefinition,
  "id" | "cli" | "displayName" | "supportsContinue" | "resume" | "stdinText" | "extraEnv" | "removeEnv"
> & {
  /** Text written to stdin, then closed. Default: the prompt as it is, unless the engine has a stdin session. */
  stdinText?: EngineDefinition["stdinText"];
  /** Env entries added after the allowlist filter, and names removed from it. */
  env?: { add?: Record<string, string>; remove?: readonly string[] };
};

export interface EngineModule<K extends ConfigurableEngineId> {
  about: EngineAbout<K>;
  /** Builds the engine from its options (the config's `engines.<id>` table). */
  create(input?: EngineInput<K>): EngineDefinition;
}

export function defineEngine<K extends ConfigurableEngineId>(
  about: EngineAbout<K>,
  body: (kit: EngineKit<K>) => EngineBody,
): EngineModule<K> {
  const resume = RESUME_SYNTAX[about.id];
  return {
    about,
    create(input) {
      const options = engineOptions(about.id, input);
      const common: AnyEngineOptions = options;
      const model = (job: EngineJob): string | undefined => job.model ?? common.model;
      const kit: EngineKit<K> = {
        options,
        extraArgs: common.extra_args,
        model,
        modelArgs(job, flag = "--model") {
          const m = model(job);
          return m === undefined ? [] : [flag, m];
        },
        resumeArgs: (job) => resume.args(job.resume),
        resume,
      };
      const { env, stdinText, ...own } = body(kit);
      const def: EngineDefinition = {
        id: about.id,
        cli: about.cli,
        displayName: about.displayName,
        supportsContinue: about.supportsContinue,
        resume,
        ...own,
      };
      const text = stdinText ?? (own.createStdinSession ? undefined : (job: EngineJob) => job.prompt);
      if (text !== undefined) def.stdinText = text;
      const add = env?.add;
      if (add !== undefined) def.extraEnv = () => ({ ...add });
      const remove = env?.remove;
      if (remove !== undefined) def.removeEnv = () => [...remove];
      return def;
    },
  };
}
