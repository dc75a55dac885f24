// Forum topics through the binary: /topic creates a topic bound to a project and @branch, tasks there
// run in that worktree (after a restart too), an unbound topic says how to bind it and runs nothing,
// /ctx shows and changes bindings, and a bot that cannot use topics refuses to start.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator } from "../../src/emulator/index.ts";
import { git as gitIn } from "../support/git.ts";
import { type Harness, startHarness, untetherCommand, writeConfig } from "../support/harness.ts";

let h: Harness;

const git = (...args: string[]) => gitIn(h.project, h.home, ...args);

beforeAll(async () => {
  h = await startHarness({
    forum: true,
    telegramToml: '\n[transports.telegram.topics]\nenabled = true\nscope = "main"\n',
  });
  git("init", "-q", "-b", "main");
  writeFileSync(join(h.project, "README.md"), "main\n");
  git("add", "README.md");
  git("commit", "-q", "-m", "init");
  git("branch", "feature-x");
});

afterAll(async () => {
  await h.stop();
  await h.emu.stop();
});

const spawns = () => (h.output().match(/engine\.spawn"/g) ?? []).length;

const answerIn = (threadId: number, id: number) =>
  h.emu.waitForBotMessage(
    h.group,
    (x) => x.reply_to_message_id === id && x.message_thread_id === threadId && /^(done|error) ·/.test(x.text ?? ""),
    30_000,
  );

let bound = 0;

describe("/topic", () => {
  test("creates a topic named after the context, announces the binding there and replies where asked", async () => {
    const m = h.emu.sendUserMessage({ chatId: h.group, from: h.alice, text: "/topic demo @feature-x" });
    const reply = await h.emu.waitForBotMessage(h.group, (x) => x.reply_to_message_id === m.message_id, 10_000);
    expect(reply.text ?? "").toBe("Created the topic demo @feature-x.");
    const created = [...h.emu.topics(h.group)].find(([, name]) => name === "demo @feature-x");
    expect(created).toBeDefined();
    bound = created?.[0] ?? 0;
    const hello = await h.emu.waitForBotMessage(
      h.group,
      (x) => x.message_thread_id === bound && (x.text ?? "") !== "",
      10_000,
    );
    expect(hello.text ?? "").toContain("This topic runs in demo @feature-x");
    expect(h.emu.calls({ method: "createForumTopic" })).toHaveLength(1);
  }, 30_000);

  test("a task in the bound topic runs in the branch's worktree", async () => {
    const m = h.emu.sendUserMessage({ chatId: h.group, from: h.alice, threadId: bound, text: "mock:pwd" });
    const final = await answerIn(bound, m.message_id);
    expect(final.text ?? "").toContain(join(h.project, ".worktrees", "feature-x"));
    expect(final.text ?? "").toContain("demo @feature-x");
  }, 30_000);

  test("a task in an unbound topic gets the hint and starts no engine", async () => {
    const other = h.emu.addTopic(h.group, "random", h.alice);
    const before = spawns();
    const m = h.emu.sendUserMessage({ chatId: h.group, from: h.alice, threadId: other, text: "fix the build" });
    const reply = await h.emu.waitForBotMessage(h.group, (x) => x.reply_to_message_id === m.message_id, 10_000);
    expect(reply.text ?? "").toStartWith("This topic isn't bound to a project yet");
    expect(spawns()).toBe(before);
    // Naming the project in the message runs it there all the same.
    const named = h.emu.sendUserMessage({ chatId: h.group, from: h.alice, threadId: other, text: "/demo mock:pwd" });
    const final = await answerIn(other, named.message_id);
    expect(final.text ?? "").toContain(h.project);
  }, 30_000);

  test("a plain member may not create topics", async () => {
    const m = h.emu.sendUserMessage({ chatId: h.group, from: h.bob, text: "/topic demo" });
    const reply = await h.emu.waitForBotMessage(h.group, (x) => x.reply_to_message_id === m.message_id, 10_000);
    expect(reply.text ?? "").toBe("Only the group's admins can create topics here.");
    expect(h.emu.calls({ method: "createForumTopic" })).toHaveLength(1);
  }, 30_000);

  test("a bad branch name is refused with what is wrong", async () => {
    const m = h.emu.sendUserMessage({ chatId: h.group, from: h.alice, text: "/topic nope @a..b" });
    const reply = await h.emu.waitForBotMessage(h.group, (x) => x.reply_to_message_id === m.message_id, 10_000);
    expect(reply.text ?? "").toContain("⚠️ the branch name contains '..'");
  }, 30_000);
});

describe("/ctx", () => {
  test("shows the topic's binding; set rebinds and renames the topic", async () => {
    const show = h.emu.sendUserMessage({ chatId: h.group, from: h.alice, threadId: bound, text: "/ctx" });
    const shown = await h.emu.waitForBotMessage(h.group, (x) => x.reply_to_message_id === show.message_id, 10_000);
    expect(shown.text ?? "").toStartWith("Context of this topic: demo @feature-x (bound to this topic).");

    const set = h.emu.sendUserMessage({ chatId: h.group, from: h.alice, threadId: bound, text: "/ctx set demo" });
    const done = await h.emu.waitForBotMessage(h.group, (x) => x.reply_to_message_id === set.message_id, 10_000);
    expect(done.text ?? "").toBe("This topic now runs in demo.");
    expect(h.emu.topicName(h.group, bound)).toBe("demo");
    await h.waitForOutput(/"key":"ctx".*settings\.changed/);

    const back = h.emu.sendUserMessage({
      chatId: h.group,
      from: h.alice,
      threadId: bound,
      text: "/ctx set demo @feature-x",
    });
    await h.emu.waitForBotMessage(h.group, (x) => x.reply_to_message_id === back.message_id, 10_000);
    expect(h.emu.topicName(h.group, bound)).toBe("demo @feature-x");
  }, 30_000);

  test("clear unbinds: the topic asks to be bound again", async () => {
    const topic = h.emu.addTopic(h.group, "scratch", h.alice);
    const say = async (text: string) => {
      const m = h.emu.sendUserMessage({ chatId: h.group, from: h.alice, threadId: topic, text });
      return (await h.emu.waitForBotMessage(h.group, (x) => x.reply_to_message_id === m.message_id, 10_000)).text ?? "";
    };
    expect(await say("/ctx set demo")).toBe("This topic now runs in demo.");
    expect(await say("/ctx clear")).toBe("Unbound this topic from demo.");
    expect(await say("/ctx clear")).toBe("This topic was not bound.");
    expect(await say("run the tests")).toStartWith("This topic isn't bound to a project yet");
  }, 30_000);

  test("a plain member cannot change it", async () => {
    const m = h.emu.sendUserMessage({ chatId: h.group, from: h.bob, threadId: bound, text: "/ctx clear" });
    const reply = await h.emu.waitForBotMessage(h.group, (x) => x.reply_to_message_id === m.message_id, 10_000);
    expect(reply.text ?? "").toBe("Only the group's admins can change what this chat runs in.");
  }, 30_000);

  test("the binding survives a restart", async () => {
    await h.restart();
    const m = h.emu.sendUserMessage({ chatId: h.group, from: h.alice, threadId: bound, text: "mock:pwd" });
    const final = await answerIn(bound, m.message_id);
    expect(final.text ?? "").toContain(join(h.project, ".worktrees", "feature-x"));
  }, 30_000);
});

describe("start-up with topics on", () => {
  test("refuses to start when the chat is not a forum, saying what to fix", async () => {
    const emu = await startEmulator({ botUsername: "untether_test_bot" });
    try {
      const home = mkdtempSync(join(tmpdir(), "untether-topics-"));
      const alice = emu.addUser({ firstName: "Alice" }).id;
      const group = emu.addChat({
        type: "supergroup",
        title: "Plain",
        members: [{ userId: alice, status: "creator" }],
      });
      const config = join(home, "untether.toml");
      writeConfig(config, emu, {
        chatId: group.id,
        allowed: [alice],
        project: home,
        telegramToml: '\n[transports.telegram.topics]\nenabled = true\nscope = "main"\n',
      });
      const proc = Bun.spawn([...untetherCommand(), "--config", config, "run"], {
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home },
        stdout: "pipe",
        stderr: "pipe",
      });
      const code = await proc.exited;
      const err = await new Response(proc.stderr).text();
      expect(code).toBe(1);
      expect(err).toContain("transports.telegram.topics is enabled but chat");
      expect(err).toContain("is not a forum");
    } finally {
      await emu.stop();
    }
  }, 30_000);
});
