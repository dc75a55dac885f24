import { describe, expect, test } from "bun:test";
import { CommandRegistry } from "../../../src/telegram/commands/registry.ts";
import { editDistance, nearest } from "../../../src/telegram/commands/suggest.ts";
import type { ChatCommand } from "../../../src/telegram/commands/types.ts";
import type { IncomingCallback } from "../../../src/telegram/incoming.ts";

const cmd = (name: string, extra: Partial<ChatCommand> = {}): ChatCommand => ({
  name,
  usage: `/${name}`,
  summary: `${name} things`,
  run: async () => {},
  ...extra,
});

const press = (data: string): IncomingCallback => ({ kind: "callback", updateId: 1, callbackId: "q", userId: 1, data });

describe("editDistance", () => {
  test("counts inserts, deletes, substitutions and adjacent swaps", () => {
    expect(editDistance("cancel", "cancel")).toBe(0);
    expect(editDistance("cancle", "cancel")).toBe(1);
    expect(editDistance("cancl", "cancel")).toBe(1);
    expect(editDistance("cxncel", "cancel")).toBe(1);
    expect(editDistance("", "new")).toBe(3);
    expect(editDistance("kitten", "sitting")).toBe(3);
  });
});

describe("nearest", () => {
  const names = ["cancel", "new", "agent", "continue", "config", "help"];
  test("finds the intended command for common typos", () => {
    expect(nearest("cancle", names)).toBe("cancel");
    expect(nearest("Cancle", names)).toBe("cancel");
    expect(nearest("contineu", names)).toBe("continue");
    expect(nearest("hlep", names)).toBe("help");
  });
  test("gives nothing when no command is close", () => {
    expect(nearest("deploy", names)).toBeUndefined();
    expect(nearest("xyz", names)).toBeUndefined();
  });
});

describe("CommandRegistry", () => {
  test("menu lists commands in order without unlisted ones; help lists all", () => {
    const r = new CommandRegistry().add(cmd("cancel"), cmd("start", { unlisted: true }), cmd("help"));
    expect(r.menu()).toEqual([
      { command: "cancel", description: "cancel things" },
      { command: "help", description: "help things" },
    ]);
    expect(r.helpLines()).toHaveLength(3);
    expect(r.helpLines()[0]).toBe("<code>/cancel</code> — cancel things");
  });

  test("refuses duplicate and invalid names", () => {
    const r = new CommandRegistry().add(cmd("cancel"));
    expect(() => r.add(cmd("cancel"))).toThrow(/twice/);
    expect(() => r.add(cmd("Bad-Name"))).toThrow(/invalid/);
  });

  test("routes a button press by its prefix", async () => {
    const seen: string[] = [];
    const r = new CommandRegistry().route({ prefix: "cfg", handle: async (_q, rest) => void seen.push(rest) });
    const hit = r.callbackRoute(press("cfg:model:opus"));
    expect(hit?.rest).toBe("model:opus");
    await hit?.route.handle(press("cfg:model:opus"), hit.rest);
    expect(seen).toEqual(["model:opus"]);
    expect(r.callbackRoute(press("other:x"))).toBeUndefined();
    expect(r.callbackRoute(press("cfg"))).toBeUndefined();
    expect(() => r.route({ prefix: "cfg", handle: async () => {} })).toThrow(/twice/);
  });
});
