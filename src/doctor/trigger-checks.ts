// Webhooks and crons: where the server listens, that every webhook authenticates, that the port is
// free, and that every cron expression and time zone parses.
import { cronProblem, isValidTimeZone } from "../config/rules.ts";
import type { TriggersConfig } from "../config/schema.ts";
import { isLoopbackHost } from "../security/host-guard.ts";
import { type CheckResult, fail, ok, warn } from "./types.ts";

/** Binds the port and lets go at once; EADDRINUSE (or EACCES) means the bot could not bind either. */
export async function probePort(host: string, port: number): Promise<boolean> {
  try {
    const server = Bun.listen({ hostname: host, port, socket: { data() {} } });
    server.stop(true);
    return true;
  } catch {
    return false;
  }
}

function checkBind(t: TriggersConfig): CheckResult {
  const id = "triggers.bind";
  const label = "webhook bind address";
  const { host, port } = t.server;
  if (isLoopbackHost(host)) return ok(id, label, `${host}:${port} (loopback only)`);
  const open = t.webhooks.filter((w) => w.auth === "none").map((w) => w.id);
  if (open.length > 0 && !t.allow_unauthenticated_webhooks) {
    return fail(
      id,
      label,
      `${host}:${port} is reachable from the network and webhook(s) ${open.join(", ")} have auth = "none"`,
      "untether config set triggers.server.host 127.0.0.1",
    );
  }
  return warn(
    id,
    label,
    `${host}:${port} is reachable from the network; prefer 127.0.0.1 behind a TLS reverse proxy`,
    "untether config set triggers.server.host 127.0.0.1",
  );
}

function checkSecrets(t: TriggersConfig): CheckResult {
  const id = "triggers.webhook_auth";
  const label = "webhook secrets";
  const noSecret = t.webhooks.filter((w) => w.auth !== "none" && w.secret === undefined).map((w) => w.id);
  if (noSecret.length > 0) {
    return fail(
      id,
      label,
      `webhook(s) without a secret: ${noSecret.join(", ")}`,
      `triggers.webhooks (id = "${noSecret[0]}").secret`,
    );
  }
  const open = t.webhooks.filter((w) => w.auth === "none").map((w) => w.id);
  if (open.length > 0) {
    return warn(
      id,
      label,
      `webhook(s) accepting unauthenticated requests: ${open.join(", ")}`,
      `triggers.webhooks (id = "${open[0]}").auth`,
    );
  }
  return ok(id, label, `${t.webhooks.length} webhook(s), all authenticated`);
}

async function checkPort(
  t: TriggersConfig,
  portFree: (host: string, port: number) => Promise<boolean>,
): Promise<CheckResult> {
  const id = "triggers.port";
  const label = "webhook port";
  const { host, port } = t.server;
  if (await portFree(host, port)) return ok(id, label, `${host}:${port} is free`);
  return fail(
    id,
    label,
    `cannot bind ${host}:${port}: in use (another program, or untether already running) or not permitted`,
    "triggers.server.port",
  );
}

function checkCrons(t: TriggersConfig): CheckResult {
  const id = "triggers.crons";
  const label = "cron schedules";
  const problems: string[] = [];
  if (t.default_timezone !== undefined && !isValidTimeZone(t.default_timezone)) {
    problems.push(`default_timezone: unknown time zone ${JSON.stringify(t.default_timezone)}`);
  }
  for (const c of t.crons) {
    const tz = c.timezone ?? t.default_timezone;
    if (c.timezone !== undefined && !isValidTimeZone(c.timezone)) {
      problems.push(`${c.id}: unknown time zone ${JSON.stringify(c.timezone)}`);
      continue;
    }
    const why = cronProblem(c.schedule, tz !== undefined && isValidTimeZone(tz) ? tz : undefined);
    if (why) problems.push(`${c.id}: ${why}`);
  }
  if (problems.length > 0) return fail(id, label, problems.join("; "), "triggers.crons.schedule / timezone");
  return ok(id, label, `${t.crons.length} cron(s) valid`);
}

export async function triggerChecks(
  t: TriggersConfig,
  portFree: (host: string, port: number) => Promise<boolean> = probePort,
): Promise<CheckResult[]> {
  if (!t.enabled) return [ok("triggers.enabled", "triggers", "disabled")];
  return [checkBind(t), checkSecrets(t), await checkPort(t, portFree), checkCrons(t)];
}
