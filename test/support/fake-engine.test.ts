import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { claudePermissionResponseLine, createClaudeEngine } from "../../src/engines/claude.ts";
import { fixturePath, job } from "../engines/replay.ts";
import { makeFakeCli } from "./fake-engine.ts";

interface Recorded {
  argv: string[];
  stdin: string[];
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "untether-fake-"));
}

async function run(
  cli: string,
  args: string[],
  feed: (stdin: { write(s: string): void; end(): void }, stdout: AsyncIterable<string>) => Promise<string[]>,
) {
  const proc = Bun.spawn([cli, ...args], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
    env: { PATH: "/usr/bin:/bin" },
  });
  const lines = (async function* () {
    const decoder = new TextDecoder();
    let buf = "";
    for await (const chunk of proc.stdout) {
      buf += decoder.decode(chunk, { stream: true });
      let nl = buf.indexOf("\n");
      while (nl >= 0) {
        yield buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        nl = buf.indexOf("\n");
      }
    }
  })();
  const stdin = { write: (s: string) => void proc.stdin.write(s), end: () => void proc.stdin.end() };
  const out = await feed(stdin, lines);
  return { out, code: await proc.exited };
}

describe("fake engine", () => {
  test("stdout fixture: replays lines, records argv and the prompt on stdin, exits with the code", async () => {
    const dir = tempDir();
    const record = join(dir, "rec.json");
    makeFakeCli(dir, "codex", fixturePath("codex", "say-hi.stdout.jsonl"), { record, exitCode: 3 });
    const { out, code } = await run(join(dir, "codex"), ["exec", "--json", "-"], async (stdin, stdout) => {
      stdin.write("say hi\n");
      stdin.end();
      const got: string[] = [];
      for await (const l of stdout) got.push(l);
      return got;
    });
    expect(code).toBe(3);
    // Every line of the recording, in order, nothing else.
    const recorded = readFileSync(fixturePath("codex", "say-hi.stdout.jsonl"), "utf8")
      .split("\n")
      .filter((l) => l !== "");
    expect(out).toEqual(recorded);
    expect(JSON.parse(out[0] ?? "{}").type).toBe("thread.started");
    const rec = JSON.parse(readFileSync(record, "utf8")) as Recorded;
    expect(rec.argv).toEqual(["exec", "--json", "-"]);
    expect(rec.stdin).toEqual(["say hi"]);
  });

  test.each([
    ["allow", "Tool finished: (Bash completed with no output)"],
    ["deny", "Tool failed: Denied by the acceptance harness (user said no)."],
  ])("exchange: the %s answer replays that branch in the same session", async (behaviour, answer) => {
    const dir = tempDir();
    const record = join(dir, "rec.json");
    makeFakeCli(dir, "claude", fixturePath("claude", "tool-bash-allow.exchange.jsonl"), {
      alt: fixturePath("claude", "tool-bash-deny.exchange.jsonl"),
      record,
    });
    const session = createClaudeEngine().createStdinSession?.(job({ prompt: "FAKE_BASH" }), async () => ({
      behavior: "allow",
    }));
    const { out } = await run(join(dir, "claude"), ["-p", "--verbose"], async (stdin, stdout) => {
      for (const l of session?.initialLines ?? []) stdin.write(`${l}\n`);
      const got: string[] = [];
      for await (const line of stdout) {
        got.push(line);
        const msg = JSON.parse(line) as Record<string, unknown>;
        if (msg.type === "control_request") {
          const request = msg.request as { input: Record<string, unknown> };
          const decision =
            behaviour === "allow" ? { behavior: "allow" as const } : { behavior: "deny" as const, message: "no" };
          stdin.write(`${claudePermissionResponseLine(String(msg.request_id), decision, request.input)}\n`);
        }
        if (msg.type === "result") break;
      }
      stdin.end();
      return got;
    });
    const msgs = out.map((l) => JSON.parse(l) as Record<string, unknown>);
    // The unexpected initialize got an answer, as from the real CLI.
    expect(msgs[0]).toEqual({
      type: "control_response",
      response: { subtype: "success", request_id: "req_1_init", response: {} },
    });
    const result = msgs.at(-1);
    expect(result?.result).toBe(answer);
    // Ids of the other recording are renamed to this one's.
    expect(new Set(msgs.filter((m) => typeof m.session_id === "string").map((m) => m.session_id))).toEqual(
      new Set(["144faec0-4b9e-4e71-b6c0-25b1a751d3d1"]),
    );
    const rec = JSON.parse(readFileSync(record, "utf8")) as Recorded;
    expect(rec.argv).toEqual(["-p", "--verbose"]);
    expect(rec.stdin).toHaveLength(3);
  });
});
