// Who may use the demo's page and control API: the person who started `untether demo`. They open
// `/?key=<key>` (printed on their terminal) or a single-use `/?once=<nonce>` (what `--open` hands to the
// browser opener, whose command line other local users can read: the nonce is dead once exchanged).
// Either way the browser gets an HttpOnly, SameSite=Strict cookie and is redirected to `/`, so no key
// stays in the address bar or the history. Cookies are not isolated by port: the cookie's name carries
// the port, so two demos on one host do not overwrite each other's.
import { timingSafeEqual } from "node:crypto";

function randomToken(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString("base64url");
}

function same(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export type PageDecision =
  | { kind: "allow" }
  | { kind: "deny"; response: Response }
  | { kind: "enter"; response: Response };

export class PageAccess {
  readonly #key: string;
  /** The cookie's value: never the printed key, never a nonce. */
  readonly #session = randomToken();
  readonly #nonces = new Set<string>();

  constructor(key: string) {
    this.#key = key;
  }

  /** A single-use token for `/?once=<token>`. */
  issueNonce(): string {
    const nonce = randomToken();
    this.#nonces.add(nonce);
    return nonce;
  }

  static cookieName(port: number): string {
    return `untether_demo_${port}`;
  }

  #hasSession(req: Request, port: number): boolean {
    const name = PageAccess.cookieName(port);
    for (const part of (req.headers.get("cookie") ?? "").split(";")) {
      const eq = part.indexOf("=");
      if (eq > 0 && part.slice(0, eq).trim() === name && same(part.slice(eq + 1).trim(), this.#session)) return true;
    }
    return false;
  }

  #takeNonce(value: string | null): boolean {
    if (value === null) return false;
    for (const n of this.#nonces) {
      if (same(value, n)) {
        this.#nonces.delete(n);
        return true;
      }
    }
    return false;
  }

  decide(req: Request, url: URL, port: number): PageDecision {
    if (url.pathname === "/" && req.method === "GET" && (url.searchParams.has("key") || url.searchParams.has("once"))) {
      const ok =
        same(url.searchParams.get("key") ?? undefined, this.#key) || this.#takeNonce(url.searchParams.get("once"));
      if (!ok) return { kind: "deny", response: denied() };
      const cookie = `${PageAccess.cookieName(port)}=${this.#session}; HttpOnly; SameSite=Strict; Path=/`;
      return {
        kind: "enter",
        response: new Response(null, {
          status: 303,
          headers: {
            location: "/",
            "set-cookie": cookie,
            "cache-control": "no-store",
            "referrer-policy": "no-referrer",
          },
        }),
      };
    }
    return this.#hasSession(req, port) ? { kind: "allow" } : { kind: "deny", response: denied() };
  }
}

function denied(): Response {
  return new Response("Open the full URL printed by `untether demo` (it carries the access key).\n", {
    status: 403,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}
