// Fault injection for bot calls: 429 with retry_after, 500, 502 (an HTML page, as Telegram's nginx
// front sends), slow answers, dropped connections, 409 on getUpdates and 401 (revoked token).
// A rule hits either the next `times` matching calls or a seeded fraction of them, so tests are
// deterministic.
import { EmulatorError } from "./api-error.ts";

export type FaultKind = "rate_limit" | "server_error" | "bad_gateway" | "delay" | "drop" | "conflict" | "unauthorized";

export interface FaultSpec {
  kind: FaultKind;
  /** Method name(s) (case-insensitive), "file" for downloads, or "*" (default) for every call. */
  method?: string | string[];
  /** Hit the next N matching calls (default 1 when `probability` is not given, else unlimited). */
  times?: number;
  /** Hit this fraction (0..1) of matching calls, drawn from a PRNG seeded with `seed`. */
  probability?: number;
  /** Seed for `probability` (default: the emulator's seed). */
  seed?: number;
  /** rate_limit: seconds in parameters.retry_after (default 1). */
  retryAfter?: number;
  /** delay: milliseconds to wait before answering normally (default 1000). */
  delayMs?: number;
  /**
   * server_error, bad_gateway, drop: run the method first, then answer with the fault — the
   * "it was sent but the reply was lost" case. Default false: the call has no effect.
   */
  afterEffect?: boolean;
}

/** What the server should do with one call. `delayMs` applies first, then `terminal` if any. */
export interface FaultDecision {
  delayMs: number;
  terminal?: { kind: Exclude<FaultKind, "delay">; retryAfter: number; afterEffect: boolean };
}

interface Rule {
  id: number;
  spec: FaultSpec;
  methods: Set<string> | "*";
  remaining: number;
  random?: () => number;
}

/** mulberry32: tiny, fast and good enough to pick which calls fail. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KINDS = new Set<FaultKind>([
  "rate_limit",
  "server_error",
  "bad_gateway",
  "delay",
  "drop",
  "conflict",
  "unauthorized",
]);

export class Faults {
  #rules: Rule[] = [];
  #nextId = 1;

  readonly #defaultSeed: number;

  constructor(defaultSeed: number) {
    this.#defaultSeed = defaultSeed;
  }

  add(spec: FaultSpec): number {
    if (!KINDS.has(spec.kind))
      throw new EmulatorError("emulator.bad_fault", `unknown fault kind "${String(spec.kind)}"`);
    if (spec.probability !== undefined && !(spec.probability >= 0 && spec.probability <= 1)) {
      throw new EmulatorError("emulator.bad_fault", "probability must be between 0 and 1");
    }
    const method = spec.method ?? "*";
    const list = Array.isArray(method) ? method : [method];
    const rule: Rule = {
      id: this.#nextId++,
      spec: { ...spec },
      methods: list.includes("*") ? "*" : new Set(list.map((m) => m.toLowerCase())),
      remaining: spec.times ?? (spec.probability === undefined ? 1 : Number.POSITIVE_INFINITY),
    };
    if (spec.probability !== undefined) rule.random = seededRandom(spec.seed ?? this.#defaultSeed);
    this.#rules.push(rule);
    return rule.id;
  }

  remove(id: number): void {
    this.#rules = this.#rules.filter((r) => r.id !== id);
  }

  clear(): void {
    this.#rules = [];
  }

  active(): Array<FaultSpec & { id: number; remaining: number }> {
    return this.#rules.map((r) => ({ ...r.spec, id: r.id, remaining: r.remaining }));
  }

  /** Consumes the rules this call triggers: delays add up, the first terminal fault wins. */
  decide(method: string): FaultDecision {
    const decision: FaultDecision = { delayMs: 0 };
    const lower = method.toLowerCase();
    for (const rule of this.#rules) {
      if (decision.terminal && rule.spec.kind !== "delay") continue;
      if (rule.methods !== "*" && !rule.methods.has(lower)) continue;
      if (rule.remaining <= 0) continue;
      if (rule.random && rule.random() >= (rule.spec.probability ?? 0)) continue;
      rule.remaining--;
      if (rule.spec.kind === "delay") decision.delayMs += rule.spec.delayMs ?? 1000;
      else {
        const afterEffect =
          rule.spec.afterEffect === true && ["server_error", "bad_gateway", "drop"].includes(rule.spec.kind);
        decision.terminal = { kind: rule.spec.kind, retryAfter: rule.spec.retryAfter ?? 1, afterEffect };
      }
    }
    this.#rules = this.#rules.filter((r) => r.remaining > 0);
    return decision;
  }
}
