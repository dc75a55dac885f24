// The loopback proof: `strace -f -e trace=connect` records every connect() of the bot and all the
// processes it starts; anything but 127.0.0.0/8, ::1 (also as ::ffff:127.x), a Unix socket, netlink
// or AF_UNSPEC (a UDP disconnect) is a connection that left the machine.
export interface Connect {
  line: string;
  family: string;
  address?: string;
  port?: number;
}

/** The connect() calls in an strace log. */
export function parseConnects(log: string): Connect[] {
  const out: Connect[] = [];
  for (const line of log.split("\n")) {
    if (!line.includes("connect(")) continue;
    const family = /sa_family=(AF_[A-Z0-9]+)/.exec(line)?.[1] ?? "unknown";
    const c: Connect = { line, family };
    const v4 = /sin_addr=inet_addr\("([^"]+)"\)/.exec(line)?.[1];
    const v6 = /inet_pton\(AF_INET6,\s*"([^"]+)"/.exec(line)?.[1];
    const port = /sin6?_port=htons\((\d+)\)/.exec(line)?.[1];
    if (v4 !== undefined) c.address = v4;
    else if (v6 !== undefined) c.address = v6;
    if (port !== undefined) c.port = Number(port);
    out.push(c);
  }
  return out;
}

export function isLoopbackConnect(c: Connect): boolean {
  if (c.family === "AF_UNIX" || c.family === "AF_NETLINK" || c.family === "AF_UNSPEC") return true;
  const a = c.address ?? "";
  if (c.family === "AF_INET") return /^127\./.test(a);
  if (c.family === "AF_INET6") return a === "::1" || /^::ffff:127\./i.test(a);
  return false;
}

/** The connects that did not stay on this machine. */
export function offMachine(log: string): Connect[] {
  return parseConnects(log).filter((c) => !isLoopbackConnect(c));
}
