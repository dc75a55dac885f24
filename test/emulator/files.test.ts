import { afterEach, beforeEach, expect, test } from "bun:test";
import type { TgFile, TgMessage } from "../../src/emulator/index.ts";
import { type World, world } from "./helpers.ts";

let w: World;
beforeEach(async () => {
  w = await world();
});
afterEach(() => w.emu.stop());

const bytes = new Uint8Array(Array.from({ length: 70_000 }, (_, i) => (i * 31 + 7) % 256));

async function multipart(method: string, fields: Record<string, string | Blob>, fileName?: string): Promise<Response> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) {
    if (typeof v === "string") form.append(k, v);
    else form.append(k, v, fileName);
  }
  return fetch(`${w.emu.apiBaseUrl}/bot${w.emu.token}/${method}`, { method: "POST", body: form });
}

test("multipart sendDocument, then getFile and download give back identical bytes", async () => {
  const res = await multipart(
    "sendDocument",
    { chat_id: String(w.dm.id), caption: "<b>report</b>", parse_mode: "HTML", document: new Blob([bytes]) },
    "report.bin",
  );
  const sent = (await res.json()) as { ok: boolean; result: TgMessage };
  expect(sent.ok).toBe(true);
  const doc = sent.result.document;
  expect(doc).toMatchObject({ file_name: "report.bin", file_size: bytes.byteLength });
  expect(sent.result).toMatchObject({ caption: "report", caption_entities: [{ type: "bold", offset: 0, length: 6 }] });
  const file = await w.api<TgFile>("getFile", { file_id: doc?.file_id });
  expect(file.result.file_size).toBe(bytes.byteLength);
  const download = await fetch(`${w.emu.apiBaseUrl}/file/bot${w.emu.token}/${file.result.file_path}`);
  expect(download.status).toBe(200);
  expect(new Uint8Array(await download.arrayBuffer())).toEqual(bytes);
  expect(w.emu.history(w.dm.id)[0]).toMatchObject({ by: "bot", text: "report", document: { file_name: "report.bin" } });
  expect(w.emu.calls({ method: "sendDocument" })[0]?.params.document).toEqual({
    file_name: "report.bin",
    size: bytes.byteLength,
    mime_type: "application/octet-stream",
  });
});

test("attach:// references, file_id reuse and the errors Telegram gives", async () => {
  const viaAttach = await multipart(
    "sendDocument",
    { chat_id: String(w.dm.id), document: "attach://part1", part1: new Blob(["hello"], { type: "text/plain" }) },
    "a.txt",
  );
  const sent = ((await viaAttach.json()) as { result: TgMessage }).result;
  expect(sent.document).toMatchObject({ file_name: "a.txt", mime_type: "text/plain", file_size: 5 });
  const again = await w.api<TgMessage>("sendDocument", { chat_id: w.dm.id, document: sent.document?.file_id });
  expect(again.result.document?.file_id).toBe(sent.document?.file_id ?? "");
  expect((await w.api("sendDocument", { chat_id: w.dm.id })).description).toBe(
    "Bad Request: there is no document in the request",
  );
  expect((await w.api("sendDocument", { chat_id: w.dm.id, document: "https://example.com/x" })).description).toBe(
    "Bad Request: wrong file identifier/HTTP URL specified",
  );
  const empty = await multipart("sendDocument", { chat_id: String(w.dm.id), document: new Blob([]) }, "e.txt");
  expect(((await empty.json()) as { description: string }).description).toBe("Bad Request: file must be non-empty");
  expect((await w.api("getFile", { file_id: "nope" })).description).toBe("Bad Request: invalid file_id");
  expect((await fetch(`${w.emu.apiBaseUrl}/file/bot${w.emu.token}/documents/missing.txt`)).status).toBe(404);
  expect((await fetch(`${w.emu.apiBaseUrl}/file/botWRONG/documents/file_1.txt`)).status).toBe(401);
});

test("a document posted by a user can be fetched by the bot", async () => {
  const m = w.emu.sendUserMessage({
    chatId: w.dm.id,
    from: w.alice.id,
    document: { fileName: "notes.md", data: new TextEncoder().encode("# hi") },
    caption: "please read",
  });
  expect(m).toMatchObject({ caption: "please read", document: { file_name: "notes.md", mime_type: "text/markdown" } });
  const file = await w.api<TgFile>("getFile", { file_id: m.document?.file_id });
  const body = await (await fetch(`${w.emu.apiBaseUrl}/file/bot${w.emu.token}/${file.result.file_path}`)).text();
  expect(body).toBe("# hi");
});
