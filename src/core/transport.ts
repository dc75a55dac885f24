// The small interface core/ talks to. telegram/ implements it over the Bot API (through the outbox);
// tests may implement it in memory. Text is Telegram HTML (parse_mode HTML), already rendered and
// within Telegram's 4096-character limit.

export interface ChatRef {
  chatId: number;
  /** Forum topic (message_thread_id), if any. */
  threadId?: number;
}

export interface MessageRef extends ChatRef {
  messageId: number;
}

export interface Button {
  text: string;
  /** callback_data, at most 64 bytes. */
  data: string;
}

export type ButtonRows = Button[][];

export interface SendOptions {
  replyTo?: number;
  buttons?: ButtonRows;
  silent?: boolean;
}

export interface DocumentInput {
  fileName: string;
  data: Uint8Array;
  caption?: string;
}

export interface Transport {
  /** Sent at once (first renders must not wait behind throttled edits). */
  send(chat: ChatRef, html: string, opts?: SendOptions): Promise<MessageRef>;
  /** Throttled and coalesced: a newer edit of the same message replaces a pending one. */
  edit(msg: MessageRef, html: string, buttons?: ButtonRows): Promise<void>;
  delete(msg: MessageRef): Promise<void>;
  sendDocument(chat: ChatRef, doc: DocumentInput, opts?: SendOptions): Promise<MessageRef>;
  /** Shows "typing…" in the chat (topic) for about 5 s; a transport without it shows nothing. */
  chatAction?(chat: ChatRef): Promise<void>;
}
