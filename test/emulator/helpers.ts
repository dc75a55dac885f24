// Shared by the emulator tests: a started emulator with one user in a private chat, and a tiny
// Bot API client over real HTTP (fetch) that returns the parsed envelope and status.

import type { TgChat, TgUser } from "../../src/emulator/index.ts";
import { type Emulator, startEmulator } from "../../src/emulator/index.ts";

export interface Envelope<T = unknown> {
  status: number;
  ok: boolean;
  result: T;
  error_code?: number;
  description?: string;
  parameters?: { retry_after?: number };
}

export interface World {
  emu: Emulator;
  alice: TgUser;
  dm: TgChat;
  api<T = unknown>(method: string, params?: Record<string, unknown>): Promise<Envelope<T>>;
}

export async function world(opts: Parameters<typeof startEmulator>[0] = {}): Promise<World> {
  const emu = await startEmulator(opts);
  const alice = emu.addUser({ firstName: "Alice", username: "alice" });
  const dm = emu.addChat({ type: "private", userId: alice.id });
  const api = async <T>(method: string, params: Record<string, unknown> = {}): Promise<Envelope<T>> => {
    const res = await fetch(`${emu.apiBaseUrl}/bot${emu.token}/${method}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(params),
    });
    const body = (await res.json()) as Omit<Envelope<T>, "status">;
    return { status: res.status, ...body };
  };
  return { emu, alice, dm, api };
}
