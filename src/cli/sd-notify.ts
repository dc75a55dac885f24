// sd_notify(3) without libsystemd: one datagram per state change to the unix socket systemd names in
// $NOTIFY_SOCKET (a path, or "@name" for the abstract namespace). Bun has no unix datagram sockets
// (node:dgram takes only udp4/udp6, Bun.udpSocket is UDP), so the socket is libc's, through bun:ffi.
// Only state words go out (READY=1, STOPPING=1, WATCHDOG=1, STATUS=…): never a secret.
import { dlopen, FFIType, ptr } from "bun:ffi";
import { logger } from "../log/logger.ts";

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const MSG_NOSIGNAL = 0x4000;
/** sizeof(struct sockaddr_un): sa_family_t (2 bytes) + sun_path[108]. */
const SOCKADDR_UN_SIZE = 110;

// glibc names libc libc.so.6; on musl the loader is libc.
const LIBC_CANDIDATES = ["libc.so.6", "/lib/ld-musl-x86_64.so.1", "/lib/ld-musl-aarch64.so.1"];

const LIBC_SYMBOLS = {
  socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  sendto: {
    args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32, FFIType.ptr, FFIType.u32],
    returns: FFIType.i64,
  },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
} as const;

type Libc = ReturnType<typeof dlopen<typeof LIBC_SYMBOLS>>["symbols"];

function openLibc(): Libc | undefined {
  for (const name of LIBC_CANDIDATES) {
    try {
      return dlopen(name, LIBC_SYMBOLS).symbols;
    } catch {
      // next candidate
    }
  }
  return undefined;
}

/**
 * struct sockaddr_un for $NOTIFY_SOCKET, and the length to pass with it; undefined when the value is
 * not a unix socket address (systemd also allows vsock:…, which we do not speak).
 */
export function notifySocketAddress(value: string): { bytes: Uint8Array; length: number } | undefined {
  if (!value.startsWith("/") && !value.startsWith("@")) return undefined;
  const path = new TextEncoder().encode(value);
  // An abstract address starts with a NUL byte instead of "@" and is not NUL-terminated.
  if (value.startsWith("@")) path[0] = 0;
  if (path.length > SOCKADDR_UN_SIZE - 2 - (value.startsWith("@") ? 0 : 1)) return undefined;
  const bytes = new Uint8Array(SOCKADDR_UN_SIZE);
  new DataView(bytes.buffer).setUint16(0, AF_UNIX, true);
  bytes.set(path, 2);
  return { bytes, length: 2 + path.length + (value.startsWith("@") ? 0 : 1) };
}

/** Half of $WATCHDOG_USEC in ms (how often to ping), when the watchdog is on and meant for this process. */
export function watchdogIntervalMs(env: Record<string, string | undefined>, pid: number): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!env.WATCHDOG_USEC || !Number.isSafeInteger(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return Math.max(1, Math.floor(usec / 2000));
}

export interface SystemdNotifier {
  ready(status: string): void;
  stopping(): void;
  /** A `/restart` re-executes in place (same pid): systemd's reload protocol, READY=1 follows from the new program. */
  reloading(): void;
  /** Stops the watchdog pings and closes the socket. */
  close(): void;
}

const NONE: SystemdNotifier = { ready() {}, stopping() {}, reloading() {}, close() {} };

/**
 * Talks to systemd when started by it with Type=notify ($NOTIFY_SOCKET set); a no-op otherwise.
 * The watchdog pings start at once: the bot may wait a long time for the Bot API before it is ready.
 */
export function systemdNotifier(env: Record<string, string | undefined>): SystemdNotifier {
  const socketName = env.NOTIFY_SOCKET;
  if (!socketName) return NONE;
  const address = notifySocketAddress(socketName);
  if (!address) {
    logger().warn({ notify_socket: socketName }, "systemd.notify_socket_unsupported");
    return NONE;
  }
  const libc = openLibc();
  const fd = libc ? libc.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0) : -1;
  if (!libc || fd < 0) {
    logger().warn({ notify_socket: socketName }, "systemd.notify_unavailable");
    return NONE;
  }
  let closed = false;
  let warned = false;
  const send = (text: string) => {
    if (closed) return;
    const msg = new TextEncoder().encode(text);
    const sent = libc.sendto(fd, ptr(msg), msg.length, MSG_NOSIGNAL, ptr(address.bytes), address.length);
    if (sent < 0 && !warned) {
      warned = true;
      logger().warn({ notify_socket: socketName, message: text.split("\n")[0] }, "systemd.notify_failed");
    }
  };
  const intervalMs = watchdogIntervalMs(env, process.pid);
  const timer = intervalMs === undefined ? undefined : setInterval(() => send("WATCHDOG=1"), intervalMs);
  timer?.unref();
  if (intervalMs !== undefined) send("WATCHDOG=1");
  return {
    ready(status) {
      send(`READY=1\nSTATUS=${status.replace(/\n/g, " ")}`);
      logger().debug({ watchdog_ms: intervalMs ?? null }, "systemd.ready");
    },
    reloading() {
      // Not STOPPING=1: systemd would treat the same pid's READY=1 after the re-exec as stale.
      send("RELOADING=1");
    },
    stopping() {
      send("STOPPING=1");
    },
    close() {
      if (closed) return;
      if (timer) clearInterval(timer);
      closed = true;
      libc.close(fd);
    },
  };
}
