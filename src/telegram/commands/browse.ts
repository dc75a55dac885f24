// `/browse [@branch] [path]`: the project's files as one message edited in place — folders first,
// pages of 20, ⬆ Up — and a tap on a file sends it exactly as `/file get` does. Who may browse is
// who may transfer files (the files config and its group rules); every step goes through the path
// guard, and a button carries only a token and an index, never a path.
import type { RunDispatch } from "../../core/dispatch.ts";
import { logger } from "../../log/logger.ts";
import { listDirInsideRoot, PathGuardError } from "../../security/path-guard.ts";
import type { FileHandler } from "../controller.ts";
import { type FileRequester, formatSize, readRefusalHtml } from "../files.ts";
import { escapeHtml, visibleText } from "../html.ts";
import {
  BROWSE_PREFIX,
  type BrowseSessions,
  type BrowseView,
  browseButtons,
  childPath,
  PAGE_SIZE,
  pageOf,
  parentDir,
  parseAction,
  visibleEntries,
} from "./browse-view.ts";
import { type CallbackRoute, type ChatCommand, type CommandKit, chatOriginOf } from "./types.ts";

export interface BrowseDeps {
  kit: CommandKit;
  files: Pick<FileHandler, "mayTransfer" | "send">;
  dispatch: Pick<RunDispatch, "placeCwd" | "binding" | "chatProject" | "worktree">;
  /** effectiveDenyGlobs of the files config: the list /file uses. */
  denyGlobs(): readonly string[];
  sessions: BrowseSessions;
}

const EXPIRED = "This file browser has expired; send /browse again.";

export function createBrowse(deps: BrowseDeps): { command: ChatCommand; route: CallbackRoute } {
  const { kit, sessions } = deps;

  /** Lists `dir` below `cwd` through the path guard; a refusal as HTML. */
  async function list(
    cwd: string,
    dir: string,
  ): Promise<{ ok: true; dir: string; view: Pick<BrowseView, "entries" | "truncated"> } | { ok: false; html: string }> {
    try {
      const listing = await listDirInsideRoot(cwd, dir, { denyGlobs: deps.denyGlobs() });
      return {
        ok: true,
        dir: listing.relPath,
        view: { entries: visibleEntries(listing.entries), truncated: listing.truncated },
      };
    } catch (e) {
      if (e instanceof PathGuardError) return { ok: false, html: readRefusalHtml(e) };
      throw e;
    }
  }

  const command: ChatCommand = {
    name: "browse",
    usage: "/browse [@branch] [path]",
    summary: "browse the project's files; tap one to receive it (when file transfer is enabled)",
    async run({ m, args, chat }) {
      const who: FileRequester = { ...chatOriginOf(m), messageId: m.messageId };
      const refusal = await deps.files.mayTransfer(who);
      if (refusal !== undefined) {
        await kit.reply(chat, refusal, { replyTo: m.messageId });
        return;
      }
      const origin = chatOriginOf(m);
      const at = /^@(\S+)\s*([\s\S]*)$/.exec(args);
      let cwd: string;
      let label = deps.dispatch.chatProject(origin) ?? "project";
      if (at) {
        const wt = await deps.dispatch.worktree(origin, undefined, at[1] as string);
        if (!wt.ok) {
          await kit.reply(chat, `⚠️ ${escapeHtml(wt.message)}`, { replyTo: m.messageId });
          return;
        }
        cwd = wt.cwd;
        label = `${wt.project} @${at[1] as string}`;
      } else {
        // A /ctx or /topic binding with an @branch browses that worktree.
        const place = await deps.dispatch.placeCwd(origin);
        if (!place.ok) {
          await kit.reply(chat, `⚠️ ${escapeHtml(place.message)}`, { replyTo: m.messageId });
          return;
        }
        cwd = place.cwd;
        const bound = deps.dispatch.binding(origin);
        if (bound?.branch !== undefined) label = `${bound.project} @${bound.branch}`;
      }
      const path = (at ? (at[2] as string) : args).trim();
      const listed = await list(cwd, path);
      if (!listed.ok) {
        await kit.reply(chat, listed.html, { replyTo: m.messageId });
        return;
      }
      const view: BrowseView = { chat, cwd, label, dir: listed.dir, ...listed.view, page: 0 };
      const token = sessions.add(view);
      const msg = await kit.reply(chat, browseHtml(view), {
        replyTo: m.messageId,
        buttons: browseButtons(token, view),
      });
      view.messageId = msg.messageId;
      logger().info({ chat_id: m.chatId, user_id: m.userId, entries: view.entries.length }, "browse.opened");
    },
  };

  const route: CallbackRoute = {
    prefix: BROWSE_PREFIX,
    async handle(q, rest) {
      const sep = rest.indexOf(":");
      const view = sep > 0 ? sessions.get(rest.slice(0, sep)) : undefined;
      const action = sep > 0 ? parseAction(rest.slice(sep + 1)) : undefined;
      // The token belongs to one message in one chat: a button copied elsewhere does nothing.
      if (
        !view ||
        !action ||
        q.chatId !== view.chat.chatId ||
        q.messageId === undefined ||
        q.messageId !== view.messageId
      ) {
        logger().info({ chat_id: q.chatId, user_id: q.userId, known: view !== undefined }, "browse.button_refused");
        await kit.toast(q.callbackId, EXPIRED);
        return;
      }
      const who: FileRequester = {
        chatId: q.chatId,
        ...(q.chatType === undefined ? {} : { chatType: q.chatType }),
        ...(view.chat.threadId === undefined ? {} : { threadId: view.chat.threadId }),
        userId: q.userId,
        messageId: q.messageId,
      };
      // Re-checked on every press: the presser may not be the one who opened it, and rights change.
      const refusal = await deps.files.mayTransfer(who);
      if (refusal !== undefined) {
        await kit.toast(q.callbackId, visibleText(refusal), true);
        return;
      }
      const msg = { ...view.chat, messageId: q.messageId };
      if (action.kind === "page") {
        view.page = pageOf(view.entries, action.page).page;
        await kit.toast(q.callbackId, "");
        await kit.edit(msg, browseHtml(view), browseButtons(rest.slice(0, sep), view));
        return;
      }
      if (action.kind === "file") {
        const entry = view.entries[action.index];
        if (entry?.kind !== "file") {
          await kit.toast(q.callbackId, EXPIRED);
          return;
        }
        await kit.toast(q.callbackId, `Sending ${entry.name}…`);
        await deps.files.send(who, childPath(view.dir, entry.name), view.cwd);
        return;
      }
      let target: string;
      if (action.kind === "up") target = parentDir(view.dir);
      else {
        const entry = view.entries[action.index];
        if (entry?.kind !== "directory") {
          await kit.toast(q.callbackId, EXPIRED);
          return;
        }
        target = childPath(view.dir, entry.name);
      }
      const listed = await list(view.cwd, target);
      if (!listed.ok) {
        await kit.toast(q.callbackId, visibleText(listed.html), true);
        return;
      }
      view.dir = listed.dir;
      view.entries = listed.view.entries;
      view.truncated = listed.view.truncated;
      view.page = 0;
      await kit.toast(q.callbackId, "");
      await kit.edit(msg, browseHtml(view), browseButtons(rest.slice(0, sep), view));
    },
  };

  return { command, route };
}

/** The text above the buttons: where we are, how much is here, which page. */
export function browseHtml(view: BrowseView): string {
  const where = `📂 <b>${escapeHtml(view.label)}</b> / <code>${escapeHtml(view.dir === "" ? "." : `${view.dir}/`)}</code>`;
  const dirs = view.entries.filter((e) => e.kind === "directory").length;
  const files = view.entries.length - dirs;
  const bytes = view.entries.reduce((n, e) => n + (e.kind === "file" ? e.size : 0), 0);
  const { page, pages } = pageOf(view.entries, view.page);
  const lines = [where];
  if (view.entries.length === 0) lines.push("(nothing to show here)");
  else {
    const counts = `${dirs} folder${dirs === 1 ? "" : "s"}, ${files} file${files === 1 ? "" : "s"} (${formatSize(bytes)})`;
    lines.push(pages > 1 ? `${counts} · page ${page + 1}/${pages} (${PAGE_SIZE} a page)` : counts);
  }
  if (view.truncated) lines.push("Only the first entries of this very large folder are shown.");
  lines.push("Hidden: dotfiles, symlinks and paths the deny globs protect. Tap a file to receive it.");
  return lines.join("\n");
}
