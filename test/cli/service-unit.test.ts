// `untether service install|uninstall|status`, through the compiled binary with XDG_CONFIG_HOME /
// SYSTEMD_UNIT_PATH pointed at a temp dir, a stand-in loginctl on PATH, and Debian's
// `systemd-analyze verify` judging the unit (CI installs systemd when it is missing: .ci/run).
import { beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderUnit, systemdWord } from "../../src/cli/systemd-unit.ts";
import { BINARY, ROOT } from "../support/harness.ts";

beforeAll(() => {
  if (!existsSync(BINARY)) {
    const b = Bun.spawnSync(["bun", "scripts/build.ts"], { cwd: ROOT, stdout: "ignore", stderr: "pipe" });
    if (b.exitCode !== 0) throw new Error(`build failed: ${b.stderr.toString()}`);
  }
});

interface Sandbox {
  dir: string;
  home: string;
  xdg: string;
  bin: string;
  config: string;
  lingerLog: string;
}

/** A temp HOME with a config, XDG_CONFIG_HOME, and a bin dir whose loginctl records its arguments. */
function sandbox(loginctlExit = 0, configName = "untether.toml"): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), "untether-service-"));
  const home = join(dir, "home");
  const xdg = join(dir, "xdg");
  const bin = join(dir, "bin");
  for (const d of [home, xdg, bin]) mkdirSync(d, { recursive: true });
  const lingerLog = join(dir, "loginctl.log");
  writeFileSync(join(bin, "loginctl"), `#!/bin/sh\necho "$@" >> '${lingerLog}'\nexit ${loginctlExit}\n`);
  chmodSync(join(bin, "loginctl"), 0o755);
  const config = join(home, configName);
  writeFileSync(config, "# config\n", { mode: 0o600 });
  return { dir, home, xdg, bin, config, lingerLog };
}

function untether(s: Sandbox, args: string[], env: Record<string, string> = {}) {
  const p = Bun.spawnSync([BINARY, "--config", s.config, ...args], {
    cwd: s.dir,
    env: { PATH: `${s.bin}:/usr/bin:/bin`, HOME: s.home, XDG_CONFIG_HOME: s.xdg, USER: "alice", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}

/** systemd-analyze verify: exit 0 AND nothing said (it only warns, exit 0, about a bad setting). */
function verify(unitPath: string, scope: "user" | "system", s: Sandbox): string {
  const analyze = Bun.which("systemd-analyze");
  if (!analyze) throw new Error("systemd-analyze is missing: apt-get install systemd (.ci/run does)");
  const runtime = join(s.dir, "runtime");
  mkdirSync(runtime, { recursive: true, mode: 0o700 });
  const p = Bun.spawnSync([analyze, ...(scope === "user" ? ["--user"] : []), "verify", unitPath], {
    env: { PATH: "/usr/bin:/bin", HOME: s.home, XDG_RUNTIME_DIR: runtime },
    stdout: "pipe",
    stderr: "pipe",
  });
  return `${p.exitCode} ${p.stdout.toString()}${p.stderr.toString()}`.trim();
}

describe("untether service install", () => {
  test("--user writes the unit under XDG_CONFIG_HOME, enables linger, says how to start it and read logs", () => {
    const s = sandbox();
    const r = untether(s, ["service", "install", "--user"]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const unitPath = join(s.xdg, "systemd/user/untether.service");
    expect(r.out).toContain(`wrote ${unitPath}`);
    const unit = readFileSync(unitPath, "utf8");
    expect(unit).toContain(`\nExecStart=${BINARY} --config ${s.config} run\n`);
    for (const line of [
      "Type=notify",
      "Restart=always",
      "RestartSec=5",
      "StartLimitIntervalSec=0",
      "WatchdogSec=60",
      "NoNewPrivileges=yes",
      "PrivateTmp=yes",
      "ProtectSystem=full",
      `Environment=PATH=${s.bin}:/usr/bin:/bin`,
      "WantedBy=default.target",
    ])
      expect(unit).toContain(`\n${line}\n`);
    expect(unit).not.toContain("User=");
    expect(readFileSync(s.lingerLog, "utf8")).toBe("enable-linger alice\n");
    expect(r.out).toContain("linger enabled for alice");
    expect(r.out).toContain("systemctl --user daemon-reload && systemctl --user enable --now untether");
    expect(r.out).toContain("journalctl --user -u untether -f");
    expect(verify(unitPath, "user", s)).toBe("0");
  });

  test("when linger cannot be enabled, prints the command to run", () => {
    const s = sandbox(1);
    const r = untether(s, ["service", "install", "--user"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("could not enable linger");
    expect(r.out).toContain("  sudo loginctl enable-linger alice\n");
  });

  test("--system goes to SYSTEMD_UNIT_PATH's first entry, runs as the sudo user, no linger", () => {
    const s = sandbox();
    const units = join(s.dir, "units");
    const r = untether(s, ["service", "install", "--system"], {
      SYSTEMD_UNIT_PATH: `${units}:/etc/systemd/system`,
      SUDO_USER: "bob",
    });
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const unit = readFileSync(join(units, "untether.service"), "utf8");
    expect(unit).toContain("\nUser=bob\nWorkingDirectory=~\n");
    expect(unit).toContain("\nWantedBy=multi-user.target\n");
    expect(existsSync(s.lingerLog)).toBe(false);
    expect(r.out).toContain("journalctl -u untether -f");
    expect(verify(join(units, "untether.service"), "system", s)).toBe("0");
  });

  test("a config path with spaces, % and $ stays literal in ExecStart and systemd accepts it", () => {
    const s = sandbox(0, "my $HOME 100%.toml");
    const r = untether(s, ["service", "install", "--user"]);
    expect(r.code).toBe(0);
    const unitPath = join(s.xdg, "systemd/user/untether.service");
    const unit = readFileSync(unitPath, "utf8");
    expect(unit).toContain(`--config "${s.home}/my $$HOME 100%%.toml" run\n`);
    expect(verify(unitPath, "user", s)).toBe("0");
  });

  test("--dry-run prints the unit and writes nothing", () => {
    const s = sandbox();
    const r = untether(s, ["service", "install", "--user", "--dry-run"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`ExecStart=${BINARY} --config ${s.config} run`);
    expect(existsSync(join(s.xdg, "systemd"))).toBe(false);
    expect(existsSync(s.lingerLog)).toBe(false);
  });

  test("refuses without a config file (the service would fail at every start)", () => {
    const s = sandbox();
    const r = untether(s, ["--config", join(s.home, "missing.toml"), "service", "install", "--user"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("no config at");
    expect(existsSync(join(s.xdg, "systemd"))).toBe(false);
  });

  test("status and uninstall", () => {
    const s = sandbox();
    expect(untether(s, ["service", "status", "--user"]).code).toBe(1);
    expect(untether(s, ["service", "install", "--user"]).code).toBe(0);
    const st = untether(s, ["service", "status", "--user"]);
    expect(st.code).toBe(0);
    expect(st.out).toContain(`ExecStart=${BINARY} --config ${s.config} run`);
    expect(st.out).not.toContain("another binary");
    const un = untether(s, ["service", "uninstall", "--user"]);
    expect(un.code).toBe(0);
    expect(un.out).toContain("systemctl --user disable --now untether");
    expect(existsSync(join(s.xdg, "systemd/user/untether.service"))).toBe(false);
  });

  test("--user and --system together, or an unknown action, are usage errors", () => {
    const s = sandbox();
    expect(untether(s, ["service", "install", "--user", "--system"]).code).toBe(2);
    expect(untether(s, ["service", "start"]).code).toBe(2);
  });
});

describe("the unit in docs/service.md", () => {
  test("is the one install writes (same text for the same binary, config and PATH)", () => {
    const doc = readFileSync(join(ROOT, "docs/service.md"), "utf8");
    const unit = renderUnit({
      scope: "user",
      exec: ["/home/alice/.local/bin/untether"],
      configPath: "/home/alice/.untether/untether.toml",
      path: "/home/alice/.local/bin:/usr/local/bin:/usr/bin:/bin",
      version: "0.1.0",
    });
    expect(doc).toContain(`\`\`\`ini\n${unit}\`\`\``);
  });

  test("systemdWord quotes what systemd would split or expand", () => {
    expect(systemdWord("/usr/bin/untether")).toBe("/usr/bin/untether");
    expect(systemdWord("a b")).toBe('"a b"');
    expect(systemdWord('say "hi"\\')).toBe('"say \\"hi\\"\\\\"');
    expect(systemdWord("50%")).toBe("50%%");
    expect(systemdWord("$HOME")).toBe("$$HOME");
  });
});
