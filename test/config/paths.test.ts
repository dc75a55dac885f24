import { describe, expect, test } from "bun:test";
import { displayPath, resolveConfigPath } from "../../src/config/paths.ts";

describe("resolveConfigPath", () => {
  const env = { HOME: "/home/ann", UNTETHER_CONFIG_PATH: "~/alt/u.toml" };

  test("--config beats UNTETHER_CONFIG_PATH, with ~ expanded", () => {
    expect(resolveConfigPath("~/flag.toml", env)).toEqual({ path: "/home/ann/flag.toml", source: "flag" });
  });

  test("UNTETHER_CONFIG_PATH beats the default, with ~ expanded", () => {
    expect(resolveConfigPath(undefined, env)).toEqual({ path: "/home/ann/alt/u.toml", source: "env" });
  });

  test("default is ~/.untether/untether.toml", () => {
    expect(resolveConfigPath(undefined, { HOME: "/home/ann" })).toEqual({
      path: "/home/ann/.untether/untether.toml",
      source: "default",
    });
  });

  test("an empty env var or flag does not count", () => {
    expect(resolveConfigPath("", { HOME: "/h", UNTETHER_CONFIG_PATH: " " }).source).toBe("default");
  });

  test("relative paths become absolute", () => {
    expect(resolveConfigPath("conf/u.toml", { HOME: "/h" }).path).toBe(`${process.cwd()}/conf/u.toml`);
  });

  test("displayPath shows paths under HOME as ~/…", () => {
    expect(displayPath("/home/ann/.untether/untether.toml", { HOME: "/home/ann" })).toBe("~/.untether/untether.toml");
    expect(displayPath("/etc/u.toml", { HOME: "/home/ann" })).toBe("/etc/u.toml");
  });
});
