// What an engine's environment holds, seen through the bot: the mock agent answers `mock:env` with the
// names it received. Package-manager credentials under an allowed prefix (NPM_, NODE_, UV_, PIP_) stay
// out unless listed exactly in `[security] env_extra_allow`.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { type Harness, startHarness } from "../support/harness.ts";

let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    extraToml: '\n[security]\nenv_extra_allow = ["UV_PUBLISH_TOKEN"]\nenv_extra_prefix_allow = ["VAULT_"]\n',
    env: {
      NPM_TOKEN: "npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
      NODE_AUTH_TOKEN: "npm_ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210",
      PIP_INDEX_URL: "https://alice:s3cr3t-pass@pypi.example.com/simple",
      UV_PUBLISH_TOKEN: "pypi-AgEIcHlwaS5vcmcCJGFiY2RlZmdoLWlqa2wtbW5vcC1xcnN0",
      VAULT_TOKEN: "hvs.CAESIJlWh0e3r7Qz6kZxk0123456789",
      VAULT_ADDR: "https://vault.example.com:8200",
      NPM_CONFIG_REGISTRY: "https://registry.npmjs.org/",
      PIP_NO_CACHE_DIR: "1",
    },
  });
});

afterAll(async () => {
  await h.stop();
  await h.emu.stop();
});

test("prefix rules pass settings, not credentials; an exactly listed credential passes", async () => {
  const m = h.emu.sendUserMessage({ chatId: h.dm, from: h.alice, text: "mock:env" });
  const answer = await h.emu.waitForBotMessage(
    h.dm,
    (x) => x.reply_to_message_id === m.message_id && (x.text ?? "").includes("ENV:"),
    20_000,
  );
  const names = new Set(
    (answer.text ?? "")
      .replace(/^[\s\S]*ENV:/, "")
      .split(/\s+/)
      .filter(Boolean),
  );
  for (const kept of ["NPM_CONFIG_REGISTRY", "PIP_NO_CACHE_DIR", "VAULT_ADDR", "UV_PUBLISH_TOKEN"])
    expect(names).toContain(kept);
  for (const dropped of ["NPM_TOKEN", "NODE_AUTH_TOKEN", "PIP_INDEX_URL", "VAULT_TOKEN"])
    expect(names).not.toContain(dropped);
}, 30_000);
