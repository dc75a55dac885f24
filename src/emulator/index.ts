// The Telegram Bot API emulator: an HTTP server on 127.0.0.1 speaking the Bot API subset Untether
// uses, plus a control API for tests and the demo page. Start with startEmulator(); see docs/emulator.md.
export { ApiError, EmulatorError } from "./api-error.ts";
export { SUPPORTED_METHODS } from "./bot-methods.ts";
export type { ApiCall, CallFilter } from "./calls.ts";
export { DEFAULT_WAIT_MS, Emulator, type EmulatorOptions, startEmulator } from "./emulator.ts";
export { type FaultKind, type FaultSpec, seededRandom } from "./faults.ts";
export { htmlToEntities, type ParsedText } from "./html.ts";
export { MAX_CAPTION, MAX_TEXT } from "./message-text.ts";
export type { CallbackAnswer, ChatAction, HistoryEntry, NewChat, NewMember, NewUser } from "./store.ts";
export type * from "./types.ts";
export type {
  PressInput,
  UserAlbumInput,
  UserAlbumItem,
  UserDocument,
  UserForward,
  UserMessageInput,
  UserPhoto,
  UserVideo,
  UserVoiceInput,
} from "./user-side.ts";
