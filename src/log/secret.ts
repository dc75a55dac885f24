// A secret value from config. Every way a value is usually turned into text shows it masked:
// String(), template strings, JSON.stringify, Bun.inspect / console, and error messages built from it.
// The value is read only at the boundary that needs it, via reveal().

const MASK = "[REDACTED]";
const inspectSymbol = Symbol.for("nodejs.util.inspect.custom");

/** Every secret ever constructed, so the log sink can redact them by value. */
const knownValues = new Set<string>();

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
    remember(value);
  }

  reveal(): string {
    return this.#value;
  }

  get length(): number {
    return this.#value.length;
  }

  toString(): string {
    return MASK;
  }

  toJSON(): string {
    return MASK;
  }

  [Symbol.toPrimitive](): string {
    return MASK;
  }

  [inspectSymbol](): string {
    return `Secret(${MASK})`;
  }
}

// Every log line reads the list: it is sorted once per new value, not once per line.
let sortedValues: readonly string[] | undefined;

function remember(value: string): void {
  if (value.length < 6 || knownValues.has(value)) return;
  knownValues.add(value);
  sortedValues = undefined;
}

/** Values of every Secret constructed in this process (longest first, for greedy replacement). */
export function secretValues(): readonly string[] {
  sortedValues ??= [...knownValues].sort((a, b) => b.length - a.length);
  return sortedValues;
}

/** Registers an extra value to be redacted by value (e.g. a token passed on the command line). */
export function registerSecretValue(value: string): void {
  remember(value);
}

export function isSecret(v: unknown): v is Secret {
  return v instanceof Secret;
}
