// Outbox delivery after a run: what is sent, what is skipped and why, and what is left behind.
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, truncateSync } from "node:fs";
import { join } from "node:path";
import { unzipSync } from "fflate";
import { MIB } from "../../src/telegram/files.ts";
import { deliverOutbox } from "../../src/telegram/outbox-delivery.ts";
import { FakeTransport, filesConfig, quietLogs, TempProject, text } from "./files-fixtures.ts";

let p: TempProject;
let t: FakeTransport;
const chat = { chatId: 42, threadId: 7 };
const OUT = ".untether-outbox";

beforeAll(quietLogs);
afterEach(() => p.dispose());

function setup(): void {
  p = new TempProject();
  t = new FakeTransport();
}

describe("deliverOutbox", () => {
  test("sends regular files in name order with a caption, skips the rest with reasons, cleans up", async () => {
    setup();
    p.write(`${OUT}/b-report.md`, "# report");
    p.write(`${OUT}/a-chart.png`, new Uint8Array([137, 80, 78, 71]));
    p.write(`${OUT}/.env`, "SECRET=1");
    p.write(`${OUT}/key.pem`, "KEY");
    p.write(`${OUT}/empty.txt`, "");
    p.write(`${OUT}/subdir/x.txt`, "x");
    p.write("real.txt", "in project");
    p.link(`${OUT}/link-in`, "../real.txt");
    p.link(`${OUT}/link-out`, join(p.outside, "secret.txt"));
    const res = await deliverOutbox(p.root, filesConfig(), chat, t, 99);
    expect(res.sent).toEqual(["a-chart.png", "b-report.md"]);
    expect(t.docs.map((d) => d.doc.fileName)).toEqual(["a-chart.png", "b-report.md"]);
    expect(t.docs[1]?.doc.caption).toBe("📎 <code>b-report.md</code> (8 b)");
    expect(text(t.docs[1]?.doc.data ?? new Uint8Array())).toBe("# report");
    expect(t.docs.every((d) => d.opts?.replyTo === 99 && d.chat === chat)).toBe(true);
    expect(res.skipped).toEqual([
      { name: ".env", reason: "denied by rule: .env" },
      { name: "empty.txt", reason: "empty file" },
      { name: "key.pem", reason: "denied by rule: **/*.pem" },
      { name: "link-in", reason: "symlink" },
      { name: "link-out", reason: "symlink" },
      { name: "subdir", reason: "directory" },
    ]);
    // One notice listing what was not sent.
    expect(t.texts.length).toBe(1);
    expect(t.texts[0]?.html).toContain("6 entries not sent");
    expect(t.texts[0]?.html).toContain("• <code>link-out</code> — symlink");
    expect(t.texts[0]?.html).toContain("• <code>key.pem</code> — denied by rule: **/*.pem");
    // Sent files deleted; skipped ones stay (the directory is not empty, so it stays too).
    expect(readdirSync(p.path(OUT)).sort()).toEqual([".env", "empty.txt", "key.pem", "link-in", "link-out", "subdir"]);
    expect(existsSync(join(p.outside, "secret.txt"))).toBe(true);
    expect(existsSync(p.path("real.txt"))).toBe(true);
  });

  test("an outbox that empties is removed; without cleanup everything stays", async () => {
    setup();
    p.write(`${OUT}/a.txt`, "a");
    await deliverOutbox(p.root, filesConfig(), chat, t);
    expect(existsSync(p.path(OUT))).toBe(false);
    p.write(`${OUT}/a.txt`, "a");
    await deliverOutbox(p.root, filesConfig({ outbox_cleanup: false }), chat, t);
    expect(readdirSync(p.path(OUT))).toEqual(["a.txt"]);
    expect(t.docs.length).toBe(2);
  });

  test("at most outbox_max_files are sent; the rest are reported and kept for the next run", async () => {
    setup();
    for (let i = 0; i < 5; i++) p.write(`${OUT}/f${i}.txt`, `file ${i}`);
    const res = await deliverOutbox(p.root, filesConfig({ outbox_max_files: 3 }), chat, t);
    expect(res.sent).toEqual(["f0.txt", "f1.txt", "f2.txt"]);
    expect(res.skipped.map((s) => s.name)).toEqual(["f3.txt", "f4.txt"]);
    expect(res.skipped[0]?.reason).toContain("outbox_max_files (3)");
    expect(readdirSync(p.path(OUT)).sort()).toEqual(["f3.txt", "f4.txt"]);
  });

  test("files over 50 MiB are skipped as too large; a self-hosted server allows them", async () => {
    setup();
    truncateSync(p.write(`${OUT}/huge.bin`, ""), 50 * MIB + 1);
    const res = await deliverOutbox(p.root, filesConfig(), chat, t);
    expect(res.skipped).toEqual([{ name: "huge.bin", reason: "too large (limit 50 mb)" }]);
    expect(t.docs.length).toBe(0);
    const again = await deliverOutbox(p.root, filesConfig(), chat, t, undefined, { apiBaseIsTelegram: false });
    expect(again.sent).toEqual(["huge.bin"]);
  });

  test("notify_skipped off: no notice; disabled files or outbox: nothing at all", async () => {
    setup();
    p.write(`${OUT}/.env`, "X=1");
    p.write(`${OUT}/a.txt`, "a");
    await deliverOutbox(p.root, filesConfig({ enabled: false }), chat, t);
    await deliverOutbox(p.root, filesConfig({ outbox_enabled: false }), chat, t);
    expect(t.docs.length + t.texts.length).toBe(0);
    const res = await deliverOutbox(p.root, filesConfig({ outbox_notify_skipped: false }), chat, t);
    expect(res.skipped.length).toBe(1);
    expect(t.texts.length).toBe(0);
  });

  test("a missing outbox, or one that is a symlink, sends nothing", async () => {
    setup();
    expect(await deliverOutbox(p.root, filesConfig(), chat, t)).toEqual({ sent: [], skipped: [] });
    p.link(OUT, p.outside);
    expect(await deliverOutbox(p.root, filesConfig(), chat, t)).toEqual({ sent: [], skipped: [] });
    expect(existsSync(join(p.outside, "secret.txt"))).toBe(true);
    expect(t.docs.length).toBe(0);
  });

  test("a failed send is reported and the file kept", async () => {
    setup();
    p.write(`${OUT}/a.txt`, "a");
    t.failDocuments = true;
    const res = await deliverOutbox(p.root, filesConfig(), chat, t);
    expect(res).toEqual({ sent: [], skipped: [{ name: "a.txt", reason: "sending failed" }] });
    expect(existsSync(p.path(`${OUT}/a.txt`))).toBe(true);
  });

  test("outbox_deliver_directories = zip sends a directory as <name>.zip without denied members", async () => {
    setup();
    p.write(`${OUT}/site/index.html`, "<h1>hi</h1>");
    p.write(`${OUT}/site/.env`, "X=1");
    const res = await deliverOutbox(p.root, filesConfig({ outbox_deliver_directories: "zip" }), chat, t);
    expect(res.sent).toEqual(["site.zip"]);
    expect(Object.keys(unzipSync(t.docs[0]?.doc.data ?? new Uint8Array()))).toEqual(["site/index.html"]);
    expect(existsSync(p.path(OUT))).toBe(false);
  });

  test("a custom outbox_dir and HTML in names are escaped in captions and notices", async () => {
    setup();
    p.write("out/<b>&.txt", "x");
    p.write("out/<i>.pem", "x");
    await deliverOutbox(p.root, filesConfig({ outbox_dir: "out" }), chat, t);
    expect(t.docs[0]?.doc.caption).toBe("📎 <code>&lt;b&gt;&amp;.txt</code> (1 b)");
    expect(t.texts[0]?.html).toContain("<code>&lt;i&gt;.pem</code>");
  });
});
