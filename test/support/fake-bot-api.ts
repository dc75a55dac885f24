// A typed stand-in for the Bot API client: the handler sees each call's method and parameters and
// answers with whatever the test needs (a malformed answer included); callers see BotApiCall.
import type { BotApiCall, BotArgs, BotMethod, BotResult } from "../../src/botapi/types.ts";

export type FakeBotApiHandler = (method: BotMethod, params: Record<string, unknown>) => unknown;

export function fakeBotApi(handler: FakeBotApiHandler): BotApiCall {
  function call<M extends BotMethod>(method: M, ...args: BotArgs<M>): Promise<BotResult<M>>;
  async function call(method: BotMethod, params?: object): Promise<unknown> {
    return handler(method, { ...params });
  }
  return call;
}
