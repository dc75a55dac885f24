// A version counter bumped on every observable change (message, edit, call, answer), so tests and
// the demo page wait on conditions instead of sleeping.
import { EmulatorError } from "./api-error.ts";

type Listener = () => void;

export class ChangeFeed {
  #current = 0;
  readonly #listeners = new Set<Listener>();
  #closed = false;

  get version(): number {
    return this.#current;
  }

  bump(): number {
    this.#current++;
    for (const listener of [...this.#listeners]) listener();
    return this.#current;
  }

  /** Wakes every waiter (they resolve with what they have) and refuses new waits. */
  close(): void {
    this.#closed = true;
    for (const listener of [...this.#listeners]) listener();
  }

  /**
   * Resolves with the first truthy value `check` returns, re-checked after every change; rejects
   * with EmulatorError "emulator.wait_timeout" after `timeoutMs` (the message names `what`).
   */
  waitFor<T>(check: () => T | undefined | null | false, timeoutMs: number, what = "condition"): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const attempt = (): boolean => {
        let value: T | undefined | null | false;
        try {
          value = check();
        } catch (err) {
          finish();
          reject(err);
          return true;
        }
        if (!value) return false;
        finish();
        resolve(value);
        return true;
      };
      const listener = (): void => {
        if (attempt()) return;
        if (this.#closed) {
          finish();
          reject(new EmulatorError("emulator.stopped", `emulator stopped while waiting for ${what}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new EmulatorError("emulator.wait_timeout", `timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.#listeners.delete(listener);
      };
      this.#listeners.add(listener);
      listener();
    });
  }

  /** Resolves with the version once `changed()` holds, or with the current version after `timeoutMs`. */
  waitForChange(changed: () => boolean, timeoutMs: number, signal?: AbortSignal): Promise<number> {
    return new Promise<number>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#listeners.delete(listener);
        signal?.removeEventListener("abort", done);
        resolve(this.#current);
      };
      const listener = (): void => {
        if (this.#closed || changed()) done();
      };
      const timer = setTimeout(done, timeoutMs);
      signal?.addEventListener("abort", done);
      this.#listeners.add(listener);
      listener();
    });
  }
}
