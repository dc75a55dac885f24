// The subset of Bot API objects the emulator produces, in Telegram's exact wire shape (snake_case).
// Hand-written rather than imported so the emulator depends on nothing but Bun.

export interface TgUser {
  id: number;
  is_bot: boolean;
  first_name: string;
  last_name?: string;
  username?: string;
  language_code?: string;
}

export interface TgBotUser extends TgUser {
  can_join_groups: boolean;
  can_read_all_group_messages: boolean;
  supports_inline_queries: boolean;
  can_connect_to_business: boolean;
  has_main_web_app: boolean;
}

export type ChatType = "private" | "group" | "supergroup";

export interface TgChat {
  id: number;
  type: ChatType;
  title?: string;
  username?: string;
  first_name?: string;
  last_name?: string;
  is_forum?: true;
}

export interface TgMessageEntity {
  type: string;
  offset: number;
  length: number;
  url?: string;
  language?: string;
}

export interface TgInlineKeyboardButton {
  text: string;
  callback_data?: string;
  url?: string;
}

export interface TgInlineKeyboardMarkup {
  inline_keyboard: TgInlineKeyboardButton[][];
}

/** Any reply_markup a bot may send; only inline keyboards are validated in depth. */
export type TgReplyMarkup = TgInlineKeyboardMarkup | Record<string, unknown>;

export interface TgDocument {
  file_id: string;
  file_unique_id: string;
  file_name: string;
  mime_type: string;
  file_size: number;
}

export interface TgVoice {
  file_id: string;
  file_unique_id: string;
  duration: number;
  mime_type?: string;
  file_size?: number;
}

export interface TgForumTopicCreated {
  name: string;
  icon_color: number;
}

export interface TgPhotoSize {
  file_id: string;
  file_unique_id: string;
  width: number;
  height: number;
  file_size: number;
}

export interface TgVideo {
  file_id: string;
  file_unique_id: string;
  width: number;
  height: number;
  duration: number;
  file_name: string;
  mime_type: string;
  file_size: number;
}

/** Bot API 7.0 MessageOrigin (the forward_* fields it replaced are not sent any more). */
export type TgMessageOrigin =
  | { type: "user"; date: number; sender_user: TgUser }
  | { type: "hidden_user"; date: number; sender_user_name: string }
  | { type: "chat"; date: number; sender_chat: TgChat; author_signature?: string }
  | { type: "channel"; date: number; chat: TgChat; message_id: number; author_signature?: string };

export interface TgMessage {
  message_id: number;
  message_thread_id?: number;
  from: TgUser;
  chat: TgChat;
  date: number;
  edit_date?: number;
  is_topic_message?: true;
  reply_to_message?: TgMessage;
  text?: string;
  entities?: TgMessageEntity[];
  document?: TgDocument;
  voice?: TgVoice;
  photo?: TgPhotoSize[];
  video?: TgVideo;
  media_group_id?: string;
  forward_origin?: TgMessageOrigin;
  caption?: string;
  caption_entities?: TgMessageEntity[];
  reply_markup?: TgInlineKeyboardMarkup;
  forum_topic_created?: TgForumTopicCreated;
}

export interface TgCallbackQuery {
  id: string;
  from: TgUser;
  message: TgMessage;
  chat_instance: string;
  data: string;
}

export interface TgUpdate {
  update_id: number;
  message?: TgMessage;
  edited_message?: TgMessage;
  callback_query?: TgCallbackQuery;
}

export type UpdateType = "message" | "edited_message" | "callback_query";

export type MemberStatus = "creator" | "administrator" | "member" | "left" | "kicked";

export interface TgChatMember {
  status: MemberStatus;
  user: TgUser;
  is_anonymous?: boolean;
  can_be_edited?: boolean;
  can_manage_chat?: boolean;
  can_delete_messages?: boolean;
}

export interface TgFile {
  file_id: string;
  file_unique_id: string;
  file_size: number;
  file_path: string;
}

export interface TgBotCommand {
  command: string;
  description: string;
}
