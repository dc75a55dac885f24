// Who may command the bot. An empty allowlist is refused unless the operator opted in to an open
// bot, and that opt-in is logged on every start so it cannot be forgotten.
import { logger } from "../log/logger.ts";
import { ConfigError } from "./errors.ts";

interface AccessFields {
  transports: { telegram: { allowed_user_ids: readonly number[]; allow_any_user: boolean } };
}

export const ACCESS_POLICY_MESSAGE =
  "transports.telegram.allowed_user_ids is empty, so anyone who finds the bot could run agents on this server. " +
  'Allow your own account: untether config set transports.telegram.allowed_user_ids "[123456789]" ' +
  "(your user id is printed by `untether chat-id`), " +
  "or, for a demo only, open the bot to everyone: untether config set transports.telegram.allow_any_user true";

/** Throws ConfigError `config.access_policy` when nobody is allowed and the bot is not opted open. */
export function assertAccessPolicy(config: AccessFields): void {
  const tg = config.transports.telegram;
  if (tg.allowed_user_ids.length === 0 && tg.allow_any_user !== true) {
    throw new ConfigError("config.access_policy", ACCESS_POLICY_MESSAGE, {
      key: "transports.telegram.allowed_user_ids",
    });
  }
}

/** Logs INFO `security.allow_any_user` when the bot is open to anyone (call on every start). */
export function logAccessPolicy(config: AccessFields): void {
  const tg = config.transports.telegram;
  if (tg.allow_any_user === true) {
    logger().info(
      {
        allowed_user_ids: tg.allowed_user_ids.length,
        fix: "set transports.telegram.allowed_user_ids and allow_any_user = false",
      },
      "security.allow_any_user",
    );
  }
}
