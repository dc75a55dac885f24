// The engine environment: the [security] extensions are valid, and no secret-looking variable of
// THIS environment would reach an engine through a prefix or an extension. Names only, never values.

import type { SecurityConfig } from "../config/schema.ts";
import { UntetherError } from "../errors.ts";
import { type EnvExtras, isAllowed, isBuiltInExact, parseEnvExtras } from "../security/env-policy.ts";
import { type CheckResult, fail, ok, warn } from "./types.ts";

export const SECRET_NAME_RE = /(TOKEN|SECRET|PASSWORD|KEY|CREDENTIAL)/i;
/** Prefixes this short let through far more than intended. */
const MIN_PREFIX = 3;

function checkExtras(sec: SecurityConfig): { extras?: EnvExtras; result: CheckResult } {
  const id = "security.env_extras";
  const label = "env allowlist extensions";
  let extras: EnvExtras;
  try {
    extras = parseEnvExtras(sec.env_extra_allow, sec.env_extra_prefix_allow);
  } catch (e) {
    if (!(e instanceof UntetherError)) throw e;
    return { result: fail(id, label, e.message, "security.env_extra_allow / security.env_extra_prefix_allow") };
  }
  const short = extras.prefix.filter((p) => p.length < MIN_PREFIX);
  const summary = `${extras.exact.length} name(s), ${extras.prefix.length} prefix(es)`;
  if (short.length > 0) {
    return {
      extras,
      result: warn(
        id,
        label,
        `${summary}; very short prefix(es) ${short.join(", ")} pass many variables`,
        "security.env_extra_prefix_allow",
      ),
    };
  }
  return { extras, result: ok(id, label, summary) };
}

/** Secret-looking names an engine would receive, other than the provider keys the allowlist names. */
export function leakedSecretNames(env: Record<string, string | undefined>, extras: EnvExtras): string[] {
  return Object.keys(env)
    .filter((k) => env[k] !== undefined && SECRET_NAME_RE.test(k) && !isBuiltInExact(k) && isAllowed(k, extras, env[k]))
    .sort();
}

export function securityChecks(sec: SecurityConfig, env: Record<string, string | undefined>): CheckResult[] {
  const { extras, result } = checkExtras(sec);
  if (!extras) return [result];
  const leaked = leakedSecretNames(env, extras);
  const id = "security.env_secrets";
  const label = "secrets in engine env";
  const leak =
    leaked.length === 0
      ? ok(id, label, "no secret-looking variable of this environment passes the engine allowlist")
      : warn(
          id,
          label,
          `engines would see ${leaked.length} secret-looking variable(s): ${leaked.join(", ")}`,
          `unset them before starting untether, or narrow security.env_extra_allow / env_extra_prefix_allow`,
        );
  return [result, leak];
}
