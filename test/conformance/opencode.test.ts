// The real opencode CLI (pinned in test/conformance/clis) through dist/untether and the emulator,
// against the fake model server: see test/support/conformance/steps.ts and docs/engines.md.
import { conformanceSuite } from "../support/conformance/steps.ts";

conformanceSuite("opencode");
