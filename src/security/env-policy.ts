// What an engine may see of our environment: an allowlist of exact names and prefixes, extended by
// `[security] env_extra_allow` / `env_extra_prefix_allow`. Applies to EVERY engine (the original
// filtered only Claude and Pi), so a stray AWS_* or DATABASE_URL never reaches an agent or its tools.
// Under a prefix rule, credential-looking names and URLs with userinfo pass only when listed exactly.
import { UntetherError } from "../errors.ts";
import { logger } from "../log/logger.ts";

export const EXACT_ALLOW: ReadonlySet<string> = new Set([
  // OS
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "SHELL",
  "TERM",
  "LANG",
  "LC_ALL",
  "LC_CTYPE",
  "TMPDIR",
  "TMP",
  "TEMP",
  "TZ",
  // CLI UX
  "NO_COLOR",
  "CI",
  "FORCE_COLOR",
  "COLORTERM",
  "CLICOLOR",
  "CLICOLOR_FORCE",
  // XDG
  "XDG_RUNTIME_DIR",
  "XDG_CONFIG_HOME",
  "XDG_DATA_HOME",
  "XDG_CACHE_HOME",
  "XDG_STATE_HOME",
  // Runtimes
  "PYTHONPATH",
  "PYTHONUNBUFFERED",
  "PYTHONDONTWRITEBYTECODE",
  "PYTHONIOENCODING",
  "NODE_PATH",
  "NODE_OPTIONS",
  "LD_LIBRARY_PATH",
  "DYLD_LIBRARY_PATH",
  "DYLD_FALLBACK_LIBRARY_PATH",
  // Git / SSH
  "SSH_AUTH_SOCK",
  "SSH_AGENT_PID",
  "GIT_CONFIG_GLOBAL",
  "GIT_SSH_COMMAND",
  // Providers
  "ANTHROPIC_API_KEY",
  "ANTHROPIC_AUTH_TOKEN",
  "ANTHROPIC_BASE_URL",
  "OPENAI_API_KEY",
  "OPENAI_BASE_URL",
  "OPENAI_ORG_ID",
  "OPENAI_PROJECT_ID",
  "GOOGLE_API_KEY",
  "GOOGLE_CLOUD_PROJECT",
  "GOOGLE_CLOUD_LOCATION",
  "GOOGLE_APPLICATION_CREDENTIALS",
  "GEMINI_API_KEY",
  "XAI_API_KEY",
  "GROQ_API_KEY",
  "CEREBRAS_API_KEY",
  "DEEPSEEK_API_KEY",
  "MISTRAL_API_KEY",
  "FIREWORKS_API_KEY",
  // GitHub, Cloudflare, Bitwarden
  "GITHUB_TOKEN",
  "GITHUB_PERSONAL_ACCESS_TOKEN",
  "GH_TOKEN",
  "CLOUDFLARE_API_TOKEN",
  "CLOUDFLARE_ACCOUNT_ID",
  "BWS_ACCESS_TOKEN",
  // markers, direnv
  "UNTETHER_SESSION",
  "PROJECT_ROOT",
  "DIRENV_DIR",
]);

/**
 * Provider credentials whose names fall under a prefix rule: listed here so they pass as exact names
 * (credential-looking names under a prefix otherwise stay out).
 */
export const PREFIXED_PROVIDER_KEYS: ReadonlySet<string> = new Set(["CLAUDE_CODE_OAUTH_TOKEN"]);

/** A built-in exact name (OS essentials, provider keys), as opposed to a prefix or user extension. */
export function isBuiltInExact(name: string): boolean {
  return EXACT_ALLOW.has(name) || PREFIXED_PROVIDER_KEYS.has(name);
}

export const PREFIX_ALLOW: readonly string[] = [
  "CLAUDE_",
  "CLAUDE_CODE_",
  "MCP_",
  "MAX_MCP_",
  "LC_",
  "UV_",
  "NPM_",
  "PNPM_",
  "NODE_",
  "PIP_",
  "UNTETHER_",
];

/** Never passed on, whatever the lists say: they would turn the child back into something else. */
const ALWAYS_DENY: ReadonlySet<string> = new Set(["BUN_BE_BUN", "UNTETHER_CONFIG_PATH", "UNTETHER_LOG_LEVEL"]);

export const ENV_NAME_RE = /^[A-Z_][A-Z0-9_]*$/;

export interface EnvExtras {
  exact: readonly string[];
  prefix: readonly string[];
}

export const NO_EXTRAS: EnvExtras = { exact: [], prefix: [] };

function checkNames(key: string, names: readonly string[]): string[] {
  for (const n of names) {
    if (!ENV_NAME_RE.test(n)) {
      throw new UntetherError(
        "config.invalid_env_name",
        `security.${key}: ${JSON.stringify(n)} is not a variable name (A-Z, 0-9 and _, not starting with a digit)`,
      );
    }
  }
  return [...new Set(names)].sort();
}

/** Validates `[security] env_extra_allow` / `env_extra_prefix_allow`; sorted, deduplicated. */
export function parseEnvExtras(envExtraAllow: readonly string[], envExtraPrefixAllow: readonly string[]): EnvExtras {
  return {
    exact: checkNames("env_extra_allow", envExtraAllow),
    prefix: checkNames("env_extra_prefix_allow", envExtraPrefixAllow),
  };
}

/** Names that usually hold a credential (`NPM_TOKEN`, `NODE_AUTH_TOKEN`, `UV_PUBLISH_PASSWORD`, `MCP_API_KEY`…). */
const CREDENTIAL_NAME_RE = /_(?:TOKEN|AUTHTOKEN|SECRET|PASSWORD|PASSWD|PASS|KEY|APIKEY|AUTH|CREDENTIALS?)$/;

/** A URL carrying userinfo (`https://user:pass@host/…`, `https://__token__@host`) anywhere in the value. */
const URL_USERINFO_RE = /[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s/?#@]+@/;

export function looksLikeCredentialName(name: string): boolean {
  return CREDENTIAL_NAME_RE.test(name);
}

export function hasUrlUserinfo(value: string): boolean {
  return URL_USERINFO_RE.test(value);
}

/**
 * Exact names (built-in or `env_extra_allow`) always pass. A prefix rule passes a variable only when
 * neither its name looks like a credential nor its value (when given) is a URL with userinfo: prefixes
 * such as `NPM_`/`PIP_` exist for settings, and would otherwise carry `NPM_TOKEN` or a
 * `PIP_INDEX_URL` with a password along.
 */
export function isAllowed(name: string, extras: EnvExtras = NO_EXTRAS, value?: string): boolean {
  if (ALWAYS_DENY.has(name)) return false;
  if (isBuiltInExact(name) || extras.exact.includes(name)) return true;
  const byPrefix =
    PREFIX_ALLOW.some((p) => name.startsWith(p)) || extras.prefix.some((p) => p !== "" && name.startsWith(p));
  if (!byPrefix || looksLikeCredentialName(name)) return false;
  return value === undefined || !hasUrlUserinfo(value);
}

/** A new map of only the allowed variables (values are checked too: see isAllowed). */
export function filterEnv(
  source: Record<string, string | undefined>,
  extras: EnvExtras = NO_EXTRAS,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(source)) if (v !== undefined && isAllowed(k, extras, v)) out[k] = v;
  return out;
}

let extensionLogged = false;

/** INFO `env_policy.user_extension` once per process, when the user extended the allowlist. */
export function logUserExtensionsOnce(extras: EnvExtras): void {
  if (extensionLogged || (extras.exact.length === 0 && extras.prefix.length === 0)) return;
  extensionLogged = true;
  const sorted = (xs: readonly string[]) => [...new Set(xs)].sort();
  logger().info(
    { extra_exact: sorted(extras.exact), extra_prefix: sorted(extras.prefix) },
    "env_policy.user_extension",
  );
}

/** For tests: forget that the extension was logged. */
export function resetUserExtensionLog(): void {
  extensionLogged = false;
}
