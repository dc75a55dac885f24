// Every request the bot made, as the emulator answered it, so tests assert on what was sent.

export interface ApiCall {
  /** Order in which requests arrived. */
  seq: number;
  /** Canonical method name (as typed by the client when unknown); "file" for downloads. */
  method: string;
  params: Record<string, unknown>;
  /** Arrival time, ms since the epoch. */
  at: number;
  durationMs: number;
  /** HTTP status sent; 0 when the connection was dropped. */
  status: number;
  ok: boolean;
  description?: string;
  /** The injected fault that shaped the answer, if any. */
  fault?: string;
}

export interface CallFilter {
  method?: string;
  /** Only calls with seq greater than this. */
  afterSeq?: number;
  ok?: boolean;
  /** Keep only calls whose params include these values (shallow, JSON equality). */
  params?: Record<string, unknown>;
}

function matches(call: ApiCall, f: CallFilter): boolean {
  if (f.method !== undefined && call.method.toLowerCase() !== f.method.toLowerCase()) return false;
  if (f.afterSeq !== undefined && call.seq <= f.afterSeq) return false;
  if (f.ok !== undefined && call.ok !== f.ok) return false;
  for (const [k, v] of Object.entries(f.params ?? {})) {
    if (JSON.stringify(call.params[k]) !== JSON.stringify(v) && String(call.params[k]) !== String(v)) return false;
  }
  return true;
}

export class CallLog {
  readonly #entries: ApiCall[] = [];
  /** Requests that arrived and are not answered yet: seq → method as requested. */
  readonly #open = new Map<number, string>();
  #nextSeq = 1;

  /** Reserves the sequence number of a request when it arrives. */
  begin(method = ""): number {
    const seq = this.#nextSeq++;
    this.#open.set(seq, method);
    return seq;
  }

  /** How many requests for `method` (case-insensitive; "file" for downloads) are not answered yet. */
  unanswered(method: string): number {
    let n = 0;
    for (const m of this.#open.values()) if (m.toLowerCase() === method.toLowerCase()) n++;
    return n;
  }

  /** Records a finished call (entries stay ordered by arrival even when long polls finish late). */
  record(call: ApiCall): void {
    this.#open.delete(call.seq);
    let i = this.#entries.length;
    while (i > 0 && (this.#entries[i - 1]?.seq ?? 0) > call.seq) i--;
    this.#entries.splice(i, 0, call);
  }

  list(filter: CallFilter = {}): ApiCall[] {
    return this.#entries.filter((c) => matches(c, filter)).map((c) => structuredClone(c));
  }

  count(filter: CallFilter = {}): number {
    return this.#entries.filter((c) => matches(c, filter)).length;
  }

  /** The highest seq recorded so far; pass it as `afterSeq` to look only at later calls. */
  lastSeq(): number {
    return this.#entries.reduce((max, c) => Math.max(max, c.seq), 0);
  }

  clear(): void {
    this.#entries.length = 0;
  }
}
