// The build defines UNTETHER_VERSION from package.json (scripts/build.ts); from source we read it here.
import pkg from "../package.json" with { type: "json" };

declare const UNTETHER_VERSION: string | undefined;

export const VERSION: string = typeof UNTETHER_VERSION === "string" ? UNTETHER_VERSION : pkg.version;
