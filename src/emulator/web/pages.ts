// The demo's chat page, embedded in the binary: Bun's text imports inline the three files as
// strings at bundle time (`bun build --compile` included), so the page needs no files on disk.
// `with { type: "text" }` makes Bun load index.html as a plain string rather than as an HTML
// bundle entry point; bun-types still types `*.html` as HTMLBundle, hence the String() below.
import type { StaticPage } from "../emulator.ts";
import js from "./app.js" with { type: "text" };
import html from "./index.html" with { type: "text" };
import css from "./style.css" with { type: "text" };

/** A fresh map on every call: the demo adds its own /demo.json entry to it. */
export function demoPages(): Record<string, StaticPage> {
  return {
    "/": { body: String(html), contentType: "text/html; charset=utf-8" },
    "/app.js": { body: String(js), contentType: "text/javascript; charset=utf-8" },
    "/style.css": { body: String(css), contentType: "text/css; charset=utf-8" },
  };
}
