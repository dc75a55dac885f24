// `bun scripts/bench/<name>.ts --write` refreshes the figures in docs/benchmarks.md and nothing else:
// the notes written by hand around the table (why a target is missed, the probe tables) survive.
import { describe, expect, test } from "bun:test";
import { mergeIntoDoc } from "../../scripts/bench/lib.ts";

const PAGE = [
  "# Benchmarks",
  "<!-- bench:machine:start -->",
  "- measured: long ago",
  "<!-- bench:machine:end -->",
  "<!-- bench:results:start -->",
  "| old row |",
  "<!-- bench:results:end -->",
  "",
  "Two targets are not met: a note written by hand.",
  "",
].join("\n");

describe("docs/benchmarks.md --write", () => {
  test("replaces the machine and results blocks and keeps the hand-written notes", () => {
    const out = mergeIntoDoc(PAGE, ["- measured: now"], ["| new row |"]);
    expect(out).toContain("- measured: now");
    expect(out).not.toContain("long ago");
    expect(out).toContain("| new row |");
    expect(out).not.toContain("| old row |");
    expect(out).toContain("Two targets are not met: a note written by hand.");
  });

  test("a page without the markers is made from the template", () => {
    const out = mergeIntoDoc("no markers here", ["- measured: now"], ["| new row |"]);
    expect(out).toStartWith("# Benchmarks");
    expect(out).toContain("| new row |");
  });
});
