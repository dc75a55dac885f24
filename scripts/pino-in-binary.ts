// A Bun.build plugin for the binary: pino without the parts the binary never runs. Our logger
// (src/log/logger.ts) hands pino its own stream, so pino's file destinations (sonic-boom), its
// worker-thread transports (thread-stream: they fail inside a compiled binary, bun-notes §2.1) and the
// caller lookup only transports read are dead code — but requiring them loaded node:worker_threads,
// util, url, module and assert at start-up: ~2 MiB of idle memory (docs/benchmarks.md). Reaching one
// anyway throws an error that says so. Tests run pino from source, untouched.
import type { BunPlugin } from "bun";

const NAMESPACE = "pino-left-out";

const LEFT_OUT: Readonly<Record<string, string>> = {
  transport:
    "module.exports = function transport() { throw new Error('pino transports are left out of the untether binary (scripts/pino-in-binary.ts)'); };",
  caller: "module.exports = function getCallers() { return []; };",
  "sonic-boom":
    "module.exports = class SonicBoom { constructor() { throw new Error('pino.destination is left out of the untether binary (scripts/pino-in-binary.ts)'); } };",
};

/** What pino's own files require → what the binary gets instead. */
function leftOut(specifier: string): string | undefined {
  if (specifier === "./lib/transport" || specifier === "./transport" || specifier === "thread-stream")
    return "transport";
  if (specifier === "./lib/caller" || specifier === "./caller") return "caller";
  if (specifier === "sonic-boom") return "sonic-boom";
  return undefined;
}

// pino/lib/tools.js reads isMainThread only to decide how a sonic-boom destination flushes on exit.
const WORKER_THREADS_IMPORT = "const { isMainThread } = require('worker_threads')";

export const pinoInBinary: BunPlugin = {
  name: "pino-in-binary",
  setup(build) {
    build.onResolve({ filter: /^(\.\/(lib\/)?(transport|caller)|thread-stream|sonic-boom)$/ }, (args) => {
      if (!/[\\/]node_modules[\\/]pino[\\/]/.test(args.importer)) return undefined;
      const key = leftOut(args.path);
      return key === undefined ? undefined : { path: key, namespace: NAMESPACE };
    });
    build.onLoad({ filter: /.*/, namespace: NAMESPACE }, (args) => ({
      contents: LEFT_OUT[args.path] ?? "",
      loader: "js",
    }));
    // Node built-ins never reach onResolve, so this one import is replaced in the file's text.
    build.onLoad({ filter: /[\\/]node_modules[\\/]pino[\\/]lib[\\/]tools\.js$/ }, async (args) => {
      const text = await Bun.file(args.path).text();
      if (!text.includes(WORKER_THREADS_IMPORT))
        throw new Error(`${args.path} changed: "${WORKER_THREADS_IMPORT}" not found; update scripts/pino-in-binary.ts`);
      return { contents: text.replace(WORKER_THREADS_IMPORT, "const isMainThread = true"), loader: "js" };
    });
  },
};
