// Log format: readable lines on a terminal, JSON for pipes and journald, UNTETHER_LOG_FORMAT to
// choose — and redaction holds in both (the pretty line is made from the redacted JSON line).
import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "../../src/log/logger.ts";
import { chooseLogFormat, prettyLine } from "../../src/log/pretty.ts";
import { type Harness, startHarness } from "../support/harness.ts";

describe("chooseLogFormat", () => {
  const tty = { isTty: true, devIno: "8:42" };
  const pipe = { isTty: false, devIno: "0:99" };

  test("a terminal gets pretty lines, a pipe JSON", () => {
    expect(chooseLogFormat({}, tty)).toBe("pretty");
    expect(chooseLogFormat({}, pipe)).toBe("json");
  });

  test("UNTETHER_LOG_FORMAT wins either way; an unknown value is ignored", () => {
    expect(chooseLogFormat({ UNTETHER_LOG_FORMAT: "json" }, tty)).toBe("json");
    expect(chooseLogFormat({ UNTETHER_LOG_FORMAT: "Pretty" }, pipe)).toBe("pretty");
    expect(chooseLogFormat({ UNTETHER_LOG_FORMAT: "xml" }, tty)).toBe("pretty");
  });

  test("JSON when stdout is the journal stream systemd named", () => {
    expect(chooseLogFormat({ JOURNAL_STREAM: "8:42" }, tty)).toBe("json");
    // Inherited from a service but stdout is another file (a terminal): not the journal.
    expect(chooseLogFormat({ JOURNAL_STREAM: "8:7" }, tty)).toBe("pretty");
  });
});

describe("prettyLine", () => {
  test("time, level, event, then key=value fields", () => {
    const line = prettyLine(
      '{"level":"info","time":"2026-12-06T10:48:13.123Z","user_id":42,"engine":"claude","note":"two words","ids":[1,2],"msg":"run.started"}\n',
    );
    expect(line).toBe('10:48:13.123 INFO  run.started user_id=42 engine=claude note="two words" ids=[1,2]\n');
  });

  test("a line that is not a JSON object passes unchanged", () => {
    expect(prettyLine("plain text\n")).toBe("plain text\n");
    expect(prettyLine("[1,2]\n")).toBe("[1,2]\n");
  });

  test("a secret in a field is redacted in the pretty line too", () => {
    const lines: string[] = [];
    const log = createLogger({ level: "info", sink: { write: (l) => void lines.push(l) }, pretty: true });
    const token = "123456789:AAFakeTokenForTestsOnly_abcdefghijkl";
    log.info({ url: `https://api.telegram.org/bot${token}/getMe`, key: "sk-ant-api03-abcdefghijklmnopqrstuv" }, "x.y");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}x\.y url=/);
    expect(lines[0]).not.toContain("AAFakeTokenForTestsOnly");
    expect(lines[0]).not.toContain("abcdefghijklmnopqrstuv");
    expect(lines[0]).toContain("[REDACTED");
  });
});

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  await h?.emu.stop();
  h = undefined;
});

describe("the compiled bot's log format", () => {
  test("UNTETHER_LOG_FORMAT=pretty through a pipe: readable lines, the bot token redacted", async () => {
    h = await startHarness({ env: { UNTETHER_LOG_FORMAT: "pretty" } });
    const out = h.output();
    expect(out).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}bot\.started /m);
    expect(out).not.toMatch(/^\{"level"/m);
    expect(out).not.toContain(h.emu.token.split(":")[1] as string);
  });

  test("a pipe without the variable gets JSON lines", async () => {
    h = await startHarness();
    expect(h.output()).toMatch(/^\{"level":"info","time":"[^"]+",.*"msg":"bot\.started"/m);
  });
});

/** A wrapper that runs its arguments on a pseudo-terminal (util-linux `script`), as a user's shell would. */
function onTerminal(): string[] {
  const wrapper = join(mkdtempSync(join(tmpdir(), "untether-tty-")), "tty.sh");
  writeFileSync(wrapper, `#!/bin/bash\nexec script -qfec "$(printf '%q ' "$@")" /dev/null\n`);
  chmodSync(wrapper, 0o755);
  return [wrapper];
}

describe("the compiled bot on a terminal", () => {
  test("prints pretty lines by default", async () => {
    h = await startHarness({ wrap: onTerminal() });
    expect(h.output()).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}bot\.started username=untether_test_bot /m);
    expect(h.output()).not.toContain('{"level"');
  });

  test("UNTETHER_LOG_FORMAT=json keeps JSON there", async () => {
    h = await startHarness({ wrap: onTerminal(), env: { UNTETHER_LOG_FORMAT: "json" } });
    expect(h.output()).toMatch(/^\{"level":"info",.*"msg":"bot\.started"/m);
  });
});
