// Bot API method names, parameters and results, all from @gramio/types (generated from Telegram's
// documentation). `BotApiCall` is the one shape every caller and every test fake has.
import type { APIMethodParams, APIMethodReturn, APIMethods } from "@gramio/types";

export type { TelegramMessage, TelegramUpdate, TelegramUser } from "@gramio/types";

export type BotMethod = keyof APIMethods;
export type BotParams<M extends BotMethod> = NonNullable<APIMethodParams<M>>;
export type BotResult<M extends BotMethod> = APIMethodReturn<M>;

/** The parameters argument: absent for methods that take none, optional where all are optional. */
export type BotArgs<M extends BotMethod> =
  APIMethodParams<M> extends undefined
    ? []
    : undefined extends APIMethodParams<M>
      ? [params?: BotParams<M>]
      : [params: BotParams<M>];

/** Calls a Bot API method; resolves with its `result`, rejects with TelegramApiError or TelegramNetworkError. */
export type BotApiCall = <M extends BotMethod>(method: M, ...args: BotArgs<M>) => Promise<BotResult<M>>;

/** One request, typed by its method: what a queue (the outbox) holds and replays. */
export type BotRequest<M extends BotMethod = BotMethod> = { [K in M]: { method: K; params: BotParams<K> } }[M];
