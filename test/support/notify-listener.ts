// A stand-in for systemd's notification socket: a unix datagram socket bound to a path (libc through
// bun:ffi, as Bun has no unix datagram sockets), read without blocking.

import { dlopen, FFIType, ptr } from "bun:ffi";
import { unlinkSync } from "node:fs";

const libc = dlopen("libc.so.6", {
  socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  bind: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  recv: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i64 },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
}).symbols;

const MSG_DONTWAIT = 0x40;

export interface NotifyListener {
  /** Every datagram received so far, in order. */
  messages(): string[];
  /** Waits for a datagram after index `after` that satisfies `match` (polling every 20 ms); its index. */
  waitFor(match: (m: string) => boolean, after?: number, timeoutMs?: number): Promise<number>;
  close(): void;
}

export function listenNotify(path: string): NotifyListener {
  const addr = new Uint8Array(110);
  new DataView(addr.buffer).setUint16(0, 1, true); // AF_UNIX
  addr.set(new TextEncoder().encode(path), 2);
  const fd = libc.socket(1, 2, 0); // AF_UNIX, SOCK_DGRAM
  if (fd < 0 || libc.bind(fd, ptr(addr), 2 + path.length + 1) !== 0) throw new Error(`cannot bind ${path}`);
  const got: string[] = [];
  const buf = new Uint8Array(4096);
  const drain = () => {
    for (;;) {
      const n = Number(libc.recv(fd, ptr(buf), buf.length, MSG_DONTWAIT));
      if (n < 0) return;
      got.push(new TextDecoder().decode(buf.subarray(0, n)));
    }
  };
  return {
    messages: () => {
      drain();
      return [...got];
    },
    async waitFor(match, after = -1, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        drain();
        const hit = got.findIndex((m, i) => i > after && match(m));
        if (hit !== -1) return hit;
        if (Date.now() > deadline) throw new Error(`no matching notification; got ${JSON.stringify(got)}`);
        await Bun.sleep(20);
      }
    },
    close() {
      libc.close(fd);
      unlinkSync(path);
    },
  };
}
