import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { WEBHOOK_PAYLOAD_MARKER } from "../../src/security/untrusted.ts";
import { sanitizeUploadName } from "../../src/triggers/multipart.ts";
import { createTriggerApp, type TriggerApp } from "../../src/triggers/server.ts";
import { captureLogs, type LogRecord } from "../config/helpers.ts";
import {
  clock,
  configOf,
  hmacHex,
  local,
  memoryDb,
  type RecordingSink,
  recordingSink,
  type TempDir,
  tempDir,
} from "./helpers.ts";

const SECRET = "multipart-secret-value";

const TOML = (extra: string): string => `
[projects.app]
path = "/srv/app"
[triggers]
enabled = true
[triggers.server]
max_body_bytes = 65536
[[triggers.webhooks]]
id = "up"
path = "/hooks/up"
auth = "hmac-sha256"
secret = "${SECRET}"
project = "app"
accept_multipart = true
max_file_size_bytes = 2048
prompt_template = "Build {{ ref }} with {{ files.0.path }}"
${extra}
[[triggers.webhooks]]
id = "json-only"
path = "/hooks/json"
auth = "hmac-sha256"
secret = "${SECRET}"
project = "app"
prompt_template = "x"
[[triggers.webhooks]]
id = "orphan"
path = "/hooks/orphan"
auth = "hmac-sha256"
secret = "${SECRET}"
accept_multipart = true
prompt_template = "x"
`;

// Every byte value, CRLF and a fake boundary line: the saved file must match byte for byte.
const BINARY = new Uint8Array([
  ...Array.from({ length: 256 }, (_, i) => i),
  ...new TextEncoder().encode("\r\n--x--\r\n"),
]);

let logs: LogRecord[];
let sink: RecordingSink;
let tmp: TempDir;
let trig: TriggerApp;

function start(extra = ""): void {
  trig = createTriggerApp(configOf(TOML(extra)), sink, { db: memoryDb(), now: clock(Date.UTC(2026, 0, 1)).now });
}

async function multipart(parts: Array<[string, string | File]>): Promise<{ bytes: Uint8Array; contentType: string }> {
  const form = new FormData();
  for (const [k, v] of parts) form.append(k, v);
  const res = new Response(form);
  // Read the header first: Bun drops the generated boundary header once the body is consumed.
  const contentType = res.headers.get("content-type") ?? "";
  return { bytes: new Uint8Array(await res.arrayBuffer()), contentType };
}

function request(path: string, body: { bytes: Uint8Array; contentType: string }, sign = true): Request {
  const headers: Record<string, string> = { "content-type": body.contentType };
  if (sign) headers["x-hub-signature-256"] = `sha256=${hmacHex("sha256", SECRET, body.bytes)}`;
  return new Request(`http://localhost${path}`, { method: "POST", body: body.bytes, headers });
}

async function send(req: Request): Promise<{ status: number; text: string }> {
  const res = await trig.handle(local(req));
  const out = { status: res.status, text: await res.text() };
  await trig.idle();
  return out;
}

/** Every file below the project root, relative paths, sorted. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

beforeEach(() => {
  logs = captureLogs();
  tmp = tempDir();
  sink = recordingSink({ app: tmp.dir });
  start();
});

afterEach(() => tmp.cleanup());

describe("multipart webhooks", () => {
  test("a signed upload is saved byte-identical under the project and the run sees its path", async () => {
    const body = await multipart([
      ["ref", "main"],
      ["artifact", new File([BINARY], "build.tar.gz")],
    ]);
    expect(await send(request("/hooks/up", body))).toEqual({ status: 202, text: "accepted" });
    const saved = join(tmp.dir, "incoming/webhooks/up/build.tar.gz");
    expect(new Uint8Array(readFileSync(saved))).toEqual(BINARY);
    expect(sink.runs).toHaveLength(1);
    const prompt = sink.runs[0]?.prompt ?? "";
    expect(prompt.split("\n")[0]).toBe(WEBHOOK_PAYLOAD_MARKER);
    expect(prompt).toContain("Build main with incoming/webhooks/up/build.tar.gz");
    expect(sink.runs[0]?.project).toBe("app");
  });

  test("file_destination is rendered with file.filename and the form fields", async () => {
    start('file_destination = "drops/{{ ref }}/{{ file.filename }}"');
    const body = await multipart([
      ["ref", "v1"],
      ["f", new File(["hi"], "a\\b/c.txt")],
    ]);
    expect((await send(request("/hooks/up", body))).status).toBe(202);
    expect(filesUnder(tmp.dir)).toEqual(["drops/v1/a_b_c.txt"]);
    expect(sink.runs[0]?.prompt).toContain("drops/v1/a_b_c.txt");
  });

  test("a part over max_file_size_bytes is 413 and nothing is written", async () => {
    const body = await multipart([
      ["small", new File(["ok"], "small.txt")],
      ["big", new File([new Uint8Array(2049)], "big.bin")],
    ]);
    expect(await send(request("/hooks/up", body))).toEqual({ status: 413, text: "file too large" });
    expect(filesUnder(tmp.dir)).toEqual([]);
    expect(sink.runs).toHaveLength(0);
  });

  test("../, .env and absolute destinations are refused with 400 and nothing is written", async () => {
    for (const dest of ["../outside/{{ file.filename }}", ".env", "/tmp/{{ file.filename }}", "{{ where }}"]) {
      start(`file_destination = "${dest}"`);
      const body = await multipart([
        ["where", "sub/../../x"],
        ["f", new File(["secret"], "a.txt")],
      ]);
      expect(await send(request("/hooks/up", body))).toEqual({ status: 400, text: "file destination refused" });
    }
    // The default destination with a hostile file name: `.env` is a deny glob at any depth.
    start();
    const env = await multipart([["f", new File(["K=V"], ".env")]]);
    expect(await send(request("/hooks/up", env))).toEqual({ status: 400, text: "file destination refused" });
    expect(filesUnder(tmp.dir)).toEqual([]);
    expect(existsSync(join(tmp.dir, "..", "outside"))).toBe(false);
    expect(sink.runs).toHaveLength(0);
    const codes = logs.filter((l) => l.msg === "triggers.webhook.file_destination_refused").map((l) => l.code);
    expect(codes).toEqual(["path.traversal", "path.denied", "path.absolute", "path.traversal", "path.denied"]);
  });

  test("an unsigned upload is 401 before any parsing", async () => {
    const broken = {
      bytes: new TextEncoder().encode("not multipart at all"),
      contentType: "multipart/form-data; boundary=zzz",
    };
    expect(await send(request("/hooks/up", broken, false))).toEqual({ status: 401, text: "unauthorized" });
    expect(await send(request("/hooks/up", broken))).toEqual({ status: 400, text: "invalid multipart body" });
  });

  test("a webhook without accept_multipart still answers 400 to multipart", async () => {
    const body = await multipart([["f", new File(["x"], "x.txt")]]);
    expect(await send(request("/hooks/json", body))).toEqual({ status: 400, text: "invalid json" });
    expect(filesUnder(tmp.dir)).toEqual([]);
  });

  test("a webhook without a project refuses uploads and names the config key", async () => {
    const startLog = logs.find((l) => l.msg === "triggers.webhook.multipart_no_project");
    expect(startLog?.webhook).toBe("orphan");
    const body = await multipart([["f", new File(["x"], "x.txt")]]);
    const res = await send(request("/hooks/orphan", body));
    expect(res.status).toBe(400);
    expect(res.text).toContain("triggers.webhooks[].project");
    const errors = logs.filter((l) => l.msg === "triggers.webhook.multipart_no_project");
    expect(errors.length).toBe(2);
    expect(JSON.stringify(errors)).toContain("triggers.webhooks[].project");
  });

  test("file names are sanitised", () => {
    expect(sanitizeUploadName("report-1.0_final.pdf")).toBe("report-1.0_final.pdf");
    expect(sanitizeUploadName("../../etc/passwd")).toBe(".._.._etc_passwd");
    expect(sanitizeUploadName("a\\b")).toBe("a_b");
    expect(sanitizeUploadName("résumé.pdf")).toBe("upload.bin");
    expect(sanitizeUploadName("with space.txt")).toBe("upload.bin");
    expect(sanitizeUploadName("")).toBe("upload.bin");
    expect(sanitizeUploadName("..")).toBe("upload.bin");
  });
});
