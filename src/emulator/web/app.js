// The demo's chat page: a Telegram-like view of one private chat in the Bot API emulator.
// It acts as the user through the emulator's control API (/__emulator/…) and follows the chat with
// its long poll. The bot's HTML is treated as untrusted: parsed with DOMParser and rebuilt from
// Telegram's allowed tags only; everything else becomes text. No inline scripts or styles (CSP).

const $ = (id) => document.getElementById(id);
const els = {
  name: $("bot-name"),
  avatar: $("avatar"),
  status: $("status"),
  engine: $("engine"),
  list: $("messages"),
  toast: $("toast"),
  form: $("form"),
  input: $("input"),
  file: $("file"),
  attach: $("attach"),
};

let demo = null; // { chatId, userId, bot, engine }
let version = 0;
const entries = new Map(); // message_id → latest HistoryEntry
const nodes = new Map(); // message_id → { el, key }

// ---------- control API ----------

const UNREACHABLE =
  "cannot reach the demo server — is `untether demo` still running? Through a tunnel, open the full URL with ?key= again";

/** Says on the page (not only in the console) that the server cannot be reached, and why. */
function unreachable(e) {
  const why = e instanceof Error && e.message ? ` (${e.message})` : "";
  els.status.textContent = `${UNREACHABLE}${why}`;
  els.status.classList.add("error");
  els.status.classList.remove("live");
}

async function api(path, init) {
  const res = await fetch(`/__emulator/${path}`, init);
  const json = await res.json().catch(() => ({ ok: false, description: `HTTP ${res.status}` }));
  if (!json.ok) throw new Error(json.description || json.error || `HTTP ${res.status}`);
  return json.result;
}

const post = (path, body) =>
  api(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

// ---------- safe rendering of the bot's HTML ----------

const SIMPLE_TAGS = new Set(["b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre", "blockquote"]);

function safeHref(raw) {
  try {
    const u = new URL(raw || "", location.href);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
  } catch {
    return null;
  }
}

function rebuild(src, out) {
  for (const node of src.childNodes) {
    if (node.nodeType === Node.TEXT_NODE) {
      // A block (pre, blockquote) already ends its line: drop the newline that follows it.
      const prev = node.previousSibling;
      const afterBlock = prev && (prev.localName === "pre" || prev.localName === "blockquote");
      out.append(document.createTextNode(afterBlock ? node.nodeValue.replace(/^\n/, "") : node.nodeValue));
      continue;
    }
    if (node.nodeType !== Node.ELEMENT_NODE) continue;
    const tag = node.localName;
    let el = null;
    if (SIMPLE_TAGS.has(tag)) {
      el = document.createElement(tag);
      const cls = tag === "code" ? node.getAttribute("class") || "" : "";
      if (/^language-[\w+#.-]{1,32}$/.test(cls)) el.className = cls;
    } else if (tag === "a") {
      const href = safeHref(node.getAttribute("href"));
      if (href) {
        el = document.createElement("a");
        el.href = href;
        el.rel = "noopener noreferrer";
        el.target = "_blank";
      }
    } else if (tag === "tg-spoiler" || (tag === "span" && node.classList.contains("tg-spoiler"))) {
      el = document.createElement("span");
      el.className = "tg-spoiler";
      el.tabIndex = 0;
      el.setAttribute("role", "button");
      el.setAttribute("aria-label", "spoiler, press to reveal");
    }
    // Not allowed: keep the text inside, drop the element and its attributes.
    rebuild(node, el || out);
    if (el) out.append(el);
  }
}

function renderHtml(html) {
  const frag = document.createDocumentFragment();
  const doc = new DOMParser().parseFromString(`<!doctype html><body>${html}`, "text/html");
  rebuild(doc.body, frag);
  return frag;
}

// ---------- messages ----------

function fmtSize(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function fmtTime(unix) {
  return new Date(unix * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function senderName(m) {
  if (m.by === "bot") return demo?.bot || m.from?.first_name || "bot";
  return m.from?.first_name || "You";
}

function snippet(m) {
  const t = m.text || (m.document ? m.document.file_name : "");
  return t.length > 80 ? `${t.slice(0, 80)}…` : t;
}

function quoteOf(id) {
  const q = el("div", "quote");
  const target = entries.get(id);
  if (!target || target.deleted) {
    q.append(el("span", "quote-text", "Deleted message"));
    return q;
  }
  q.append(el("span", "quote-name", senderName(target)), el("span", "quote-text", snippet(target)));
  return q;
}

function keyboardOf(m) {
  const kb = el("div", "keyboard");
  for (const row of m.reply_markup.inline_keyboard) {
    const r = el("div", "kb-row");
    for (const b of row) {
      if (b.callback_data !== undefined) {
        const btn = el("button", "kb-btn", b.text);
        btn.type = "button";
        btn.addEventListener("click", () => press(m.message_id, b.callback_data, btn));
        r.append(btn);
      } else if (b.url && safeHref(b.url)) {
        const a = el("a", "kb-btn", `${b.text} ↗`);
        a.href = safeHref(b.url);
        a.rel = "noopener noreferrer";
        a.target = "_blank";
        r.append(a);
      } else {
        r.append(el("span", "kb-btn disabled", b.text));
      }
    }
    kb.append(r);
  }
  return kb;
}

function buildMessage(m) {
  const wrap = el("article", `msg ${m.by === "bot" ? "bot" : "user"}`);
  wrap.dataset.messageId = String(m.message_id);
  wrap.setAttribute("aria-label", m.by === "bot" ? `${senderName(m)} says` : "You said");
  const bubble = el("div", "bubble");
  if (m.reply_to_message_id) bubble.append(quoteOf(m.reply_to_message_id));
  if (m.document) {
    const d = m.document;
    const a = el("a", "doc");
    a.href = `/__emulator/files/${encodeURIComponent(d.file_id)}`;
    a.download = d.file_name;
    a.append(el("span", "doc-icon", "⬇"));
    const info = el("span", "doc-info");
    info.append(el("span", "doc-name", d.file_name), el("span", "doc-size", fmtSize(d.file_size)));
    a.append(info);
    a.setAttribute("aria-label", `Download ${d.file_name}, ${fmtSize(d.file_size)}`);
    bubble.append(a);
  }
  const body = el("div", "text");
  if (m.html !== undefined && m.html !== null) body.append(renderHtml(m.html));
  else if (m.text) body.textContent = m.text;
  if (body.childNodes.length) bubble.append(body);
  const meta = el("div", "meta", `${m.edits > 0 ? "edited " : ""}${fmtTime(m.edit_date || m.date)}`);
  bubble.append(meta);
  wrap.append(bubble);
  const markup = m.reply_markup;
  if (markup && Array.isArray(markup.inline_keyboard) && markup.inline_keyboard.length) wrap.append(keyboardOf(m));
  return wrap;
}

function keyOf(m) {
  const quoted = m.reply_to_message_id ? entries.get(m.reply_to_message_id) : undefined;
  return JSON.stringify([
    m.edits,
    m.edit_date,
    m.text,
    m.html,
    m.document,
    m.reply_markup,
    quoted ? [quoted.deleted, quoted.text] : null,
  ]);
}

function render(messages) {
  for (const m of messages) entries.set(m.message_id, m);
  const nearBottom = els.list.scrollHeight - els.list.scrollTop - els.list.clientHeight < 120;
  let grew = false;
  for (const m of messages) {
    const have = nodes.get(m.message_id);
    if (m.deleted || m.forum_topic_created) {
      if (have) {
        have.el.remove();
        nodes.delete(m.message_id);
      }
      continue;
    }
    const key = keyOf(m);
    if (have && have.key === key) continue;
    const fresh = buildMessage(m);
    if (have) have.el.replaceWith(fresh);
    else {
      // Keep message-id order even if entries arrive out of order.
      let before = null;
      for (const [id, n] of nodes)
        if (id > m.message_id && (!before || id < Number(before.dataset.messageId))) before = n.el;
      els.list.insertBefore(fresh, before);
      grew = true;
    }
    nodes.set(m.message_id, { el: fresh, key });
  }
  if (grew && nearBottom) els.list.scrollTop = els.list.scrollHeight;
  else if (nearBottom) els.list.scrollTop = els.list.scrollHeight;
}

let typingTimer = 0;
function showStatus(view) {
  const a = view.lastAction;
  const left = a && a.action === "typing" ? 5000 - (Date.now() - a.at) : 0;
  els.status.textContent = left > 0 ? "typing…" : "bot";
  els.status.classList.toggle("live", left > 0);
  clearTimeout(typingTimer);
  if (left > 0) typingTimer = setTimeout(() => showStatus({}), left);
}

// ---------- toast ----------

let toastTimer = 0;
function toast(text, isError = false) {
  els.toast.textContent = text;
  els.toast.classList.toggle("error", isError);
  els.toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    els.toast.hidden = true;
  }, 3500);
}

// ---------- acting as the user ----------

async function press(messageId, data, btn) {
  btn.disabled = true;
  btn.classList.add("busy");
  try {
    const q = await post(`chats/${demo.chatId}/messages/${messageId}/press`, { from: demo.userId, data });
    const until = Date.now() + 3000;
    while (Date.now() < until) {
      const r = await api(`callbacks/${encodeURIComponent(q.id)}`);
      if (r.answer) {
        if (r.answer.text) toast(r.answer.text);
        break;
      }
      await new Promise((res) => setTimeout(res, 150));
    }
  } catch (e) {
    toast(e.message, true);
  } finally {
    // The button may have been re-rendered already; this only matters if it is still on screen.
    btn.disabled = false;
    btn.classList.remove("busy");
  }
}

async function sendText(text) {
  if (!text.trim()) return;
  await post(`chats/${demo.chatId}/messages`, { from: demo.userId, text });
}

function toBase64(buf) {
  const bytes = new Uint8Array(buf);
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

async function sendFile(file, caption) {
  const dataBase64 = toBase64(await file.arrayBuffer());
  const body = {
    from: demo.userId,
    document: { fileName: file.name, dataBase64, mimeType: file.type || "application/octet-stream" },
  };
  if (caption.trim()) body.caption = caption;
  await post(`chats/${demo.chatId}/messages`, body);
}

async function submit(text) {
  try {
    await sendText(text);
    return true;
  } catch (e) {
    toast(`Not sent: ${e.message}`, true);
    return false;
  }
}

function wireComposer() {
  els.form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const text = els.input.value;
    if (!text.trim()) return;
    els.input.value = "";
    if (!(await submit(text))) els.input.value = text;
    els.input.focus();
  });
  els.input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      els.form.requestSubmit();
    }
  });
  for (const chip of document.querySelectorAll(".chip")) {
    chip.addEventListener("click", () => {
      void submit(chip.dataset.text || "");
      els.input.focus();
    });
  }
  els.attach.addEventListener("click", () => els.file.click());
  els.file.addEventListener("change", async () => {
    const file = els.file.files?.[0];
    els.file.value = "";
    if (!file) return;
    const caption = els.input.value;
    try {
      await sendFile(file, caption);
      els.input.value = "";
    } catch (e) {
      toast(`Not sent: ${e.message}`, true);
    }
    els.input.focus();
  });
  els.list.addEventListener("click", (ev) => {
    const sp = ev.target instanceof Element ? ev.target.closest(".tg-spoiler") : null;
    if (sp) sp.classList.add("revealed");
  });
  els.list.addEventListener("keydown", (ev) => {
    const sp = ev.target instanceof Element ? ev.target.closest(".tg-spoiler") : null;
    if (sp && (ev.key === "Enter" || ev.key === " ")) {
      ev.preventDefault();
      sp.classList.add("revealed");
    }
  });
}

// ---------- following the chat ----------

async function follow() {
  let failures = 0;
  for (;;) {
    try {
      const view = await api(`chats/${demo.chatId}/wait?since=${version}&timeoutMs=25000`);
      version = view.version;
      render(view.messages);
      showStatus(view);
      failures = 0;
      els.status.classList.remove("error");
    } catch (e) {
      failures++;
      if (failures < 3) els.status.textContent = "reconnecting…";
      else unreachable(e);
      if (failures === 1) console.error("untether demo: lost the emulator", e);
      await new Promise((res) => setTimeout(res, Math.min(5000, 250 * 2 ** failures)));
    }
  }
}

async function main() {
  wireComposer();
  let view;
  try {
    const res = await fetch("/demo.json");
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    demo = await res.json();
    view = await api(`chats/${demo.chatId}/history`);
  } catch (e) {
    console.error("untether demo: cannot load the demo", e);
    unreachable(e);
    return;
  }
  els.name.textContent = demo.bot;
  els.avatar.textContent = (demo.bot || "U").slice(0, 1).toUpperCase();
  els.engine.textContent = `engine: ${demo.engine}`;
  document.title = `${demo.bot} · Untether demo`;
  version = view.version;
  render(view.messages);
  showStatus(view);
  document.body.classList.add("ready");
  els.input.focus();
  void follow();
}

void main();
