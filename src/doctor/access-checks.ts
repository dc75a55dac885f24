// Who may command the bot: an allowlist, an explicit open bot (loud warning), or neither (error).
import type { TelegramConfig } from "../config/schema.ts";
import { type CheckResult, fail, ok, warn } from "./types.ts";

const ID = "access.allowlist";
const LABEL = "access";

export function checkAccess(tg: TelegramConfig): CheckResult {
  const n = tg.allowed_user_ids.length;
  if (tg.allow_any_user) {
    return warn(
      ID,
      LABEL,
      `allow_any_user = true: ANYONE who finds the bot can run agents on this server${n > 0 ? ` (allowed_user_ids with ${n} user(s) is ignored)` : ""}`,
      "untether config set transports.telegram.allow_any_user false (and set transports.telegram.allowed_user_ids)",
    );
  }
  if (n > 0) return ok(ID, LABEL, `allowlist: ${n} user(s)`);
  return fail(
    ID,
    LABEL,
    "neither transports.telegram.allowed_user_ids nor transports.telegram.allow_any_user is set; the bot refuses to start",
    'untether config set transports.telegram.allowed_user_ids "[<your user id from untether chat-id>]"',
  );
}
