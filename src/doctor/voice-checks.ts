// Voice transcription: an API key must be available, and a custom endpoint must pass the SSRF guard
// (or its allowlist), because audio from the chat is sent there.
import type { TelegramConfig } from "../config/schema.ts";
import { checkUrlWithDns, parseAllowlist, type Resolver, SsrfError } from "../security/ssrf.ts";
import { type CheckResult, fail, ok } from "./types.ts";

const ALLOWLIST_KEY = "transports.telegram.voice_transcription_url_allowlist";

function checkKey(tg: TelegramConfig, env: Record<string, string | undefined>): CheckResult {
  const id = "voice.api_key";
  const label = "voice API key";
  if (tg.voice_transcription_api_key !== undefined) return ok(id, label, "voice_transcription_api_key set");
  if ((env.OPENAI_API_KEY ?? "").trim() !== "") return ok(id, label, "OPENAI_API_KEY set");
  return fail(
    id,
    label,
    "voice_transcription is on but no API key is set",
    "untether config set transports.telegram.voice_transcription_api_key <key> (or export OPENAI_API_KEY)",
  );
}

async function checkEndpoint(tg: TelegramConfig, resolver: Resolver | undefined): Promise<CheckResult> {
  const id = "voice.endpoint";
  const label = "voice endpoint";
  const base = tg.voice_transcription_base_url;
  if (base === undefined || base.trim() === "") return ok(id, label, "default OpenAI endpoint");
  try {
    const allowlist = parseAllowlist(tg.voice_transcription_url_allowlist);
    const target = await checkUrlWithDns(base, { allowlist, ...(resolver ? { resolver } : {}) });
    return ok(id, label, `${target.hostHeader} → ${target.address}`);
  } catch (e) {
    if (!(e instanceof SsrfError)) throw e;
    const fix =
      e.code === "ssrf.invalid_allowlist"
        ? ALLOWLIST_KEY
        : `transports.telegram.voice_transcription_base_url, or add its address to ${ALLOWLIST_KEY}`;
    return fail(id, label, e.message, fix);
  }
}

export async function voiceChecks(
  tg: TelegramConfig,
  env: Record<string, string | undefined>,
  resolver?: Resolver,
): Promise<CheckResult[]> {
  if (!tg.voice_transcription) return [ok("voice.transcription", "voice transcription", "disabled")];
  return [checkKey(tg, env), await checkEndpoint(tg, resolver)];
}
