// Preloaded by bun test (bunfig.toml): logs stay quiet unless a test captures them with setLogger,
// or UNTETHER_TEST_LOGS=1 asks to see them.
import { createLogger, setLogger } from "../../src/log/logger.ts";

if (!process.env.UNTETHER_TEST_LOGS) setLogger(createLogger({ level: "silent", sink: { write: () => {} } }));
