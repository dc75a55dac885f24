// Facts about keys come from markers on the schema nodes: `secret` and `reload`. These tests mark
// nodes (in a small schema of their own, or on the real one for a moment) and check that masking,
// the loader's Secret wrapping and the live reload decision follow the marker alone.
import { describe, expect, test } from "bun:test";
import { TransformKind, type TSchema, Type } from "@sinclair/typebox";
import { diffConfig, isHotKey } from "../../src/config/live.ts";
import { buildConfig, parseConfigText } from "../../src/config/load.ts";
import { isHotPath, keyFacts } from "../../src/config/markers.ts";
import { type Config, ConfigSchema, hot, type SchemaMarkers, secret } from "../../src/config/schema.ts";
import { containsSecret, isSecretPath, MASK, maskSecrets } from "../../src/config/secret-keys.ts";
import { Secret } from "../../src/log/secret.ts";
import { FAKE_TOKEN } from "./helpers.ts";

describe("secret marker", () => {
  // A schema the masking code has never seen: only the markers say what is secret.
  const schema = Type.Object({
    service: Type.Object({
      api_password: secret("a new secret key"),
      password_hint: Type.String(),
      headers: Type.Record(Type.String(), Type.String(), { secret: "header-names" }),
    }),
    jobs: Type.Array(Type.Object({ token: secret("per-entry secret"), name: Type.String() })),
  });

  test("a key marked secret is masked, with its neighbours left alone", () => {
    const doc = {
      service: {
        api_password: "hunter2-value",
        password_hint: "plain",
        headers: { "X-Api-Key": "k-value", Accept: "json" },
      },
      jobs: [{ token: "t-value", name: "nightly" }],
    };
    expect(maskSecrets(doc, [], schema)).toEqual({
      service: { api_password: MASK, password_hint: "plain", headers: { "X-Api-Key": MASK, Accept: "json" } },
      jobs: [{ token: MASK, name: "nightly" }],
    });
    expect(isSecretPath(["service", "api_password"], schema)).toBe(true);
    expect(isSecretPath(["service", "password_hint"], schema)).toBe(false);
    expect(isSecretPath(["jobs", 3, "token"], schema)).toBe(true);
    expect(containsSecret(doc.service, ["service"], schema)).toBe(true);
    expect(containsSecret({ Accept: "json" }, ["service", "headers"], schema)).toBe(false);
  });

  test("without the marker the same key is not secret", () => {
    const unmarked = Type.Object({ service: Type.Object({ api_password: Type.String() }) });
    expect(isSecretPath(["service", "api_password"], unmarked)).toBe(false);
    expect(maskSecrets({ service: { api_password: "shown" } }, [], unmarked)).toEqual({
      service: { api_password: "shown" },
    });
  });

  test("the real schema: known secrets, legacy top-level bot_token, header maps by name", () => {
    expect(isSecretPath(["transports", "telegram", "bot_token"])).toBe(true);
    expect(isSecretPath(["bot_token"])).toBe(true);
    expect(isSecretPath(["chat_id"])).toBe(false);
    expect(isSecretPath(["transports", "telegram", "voice_transcription_api_key"])).toBe(true);
    expect(isSecretPath(["triggers", "webhooks", 0, "secret"])).toBe(true);
    expect(isSecretPath(["triggers", "webhooks", 0, "forward_headers", "Authorization"])).toBe(true);
    expect(isSecretPath(["triggers", "webhooks", 0, "forward_headers", "X-Trace"])).toBe(false);
    expect(isSecretPath(["triggers", "crons", 1, "fetch", "headers", "X-Api-Key"])).toBe(true);
    expect(isSecretPath(["triggers", "crons", 1, "fetch", "url"])).toBe(false);
    expect(isSecretPath(["projects", "token", "path"])).toBe(false);
    expect(keyFacts(["no", "such", "key"]).known).toBe(false);
  });

  // Every schema node, with its key path (array items as index 0, record values as "*").
  function* nodes(n: TSchema, path: (string | number)[] = []): Generator<[TSchema, (string | number)[]]> {
    yield [n, path];
    const s = n as {
      properties?: Record<string, TSchema>;
      items?: TSchema;
      patternProperties?: Record<string, TSchema>;
    };
    for (const [k, v] of Object.entries(s.properties ?? {})) yield* nodes(v, [...path, k]);
    if (s.items !== undefined) yield* nodes(s.items, [...path, 0]);
    for (const v of Object.values(s.patternProperties ?? {})) yield* nodes(v, [...path, "*"]);
  }

  test("the loader wraps exactly the marked keys in Secret", () => {
    let marked = 0;
    for (const [node, path] of nodes(ConfigSchema)) {
      const decode = (node as { [TransformKind]?: { Decode(v: unknown): unknown } })[TransformKind]?.Decode;
      const wraps = node.type === "string" && decode !== undefined && decode("sample-value") instanceof Secret;
      expect({ path, wraps }).toEqual({ path, wraps: (node as SchemaMarkers).secret === true });
      if (wraps) marked++;
    }
    expect(marked).toBeGreaterThanOrEqual(3);
    const config = buildConfig(
      parseConfigText(
        `[transports.telegram]\nbot_token = "${FAKE_TOKEN}"\nchat_id = 1\nallow_any_user = true\nvoice_transcription_api_key = "sk-value"\n`,
      ),
      { baseDir: "/srv/cfg" },
    ).config;
    expect(config.transports.telegram.bot_token).toBeInstanceOf(Secret);
    expect(config.transports.telegram.voice_transcription_api_key).toBeInstanceOf(Secret);
  });
});

describe("reload marker", () => {
  test("inherited from tables, overridable inside them, restart when absent", () => {
    const schema = Type.Object({
      ui: hot(Type.Object({ theme: Type.String(), port: Type.Integer({ reload: "restart" }) })),
      single: hot(Type.Boolean()),
      other: Type.Boolean(),
    });
    expect(isHotPath("ui.theme", schema)).toBe(true);
    expect(isHotPath("ui.port", schema)).toBe(false);
    expect(isHotPath("single", schema)).toBe(true);
    expect(isHotPath("other", schema)).toBe(false);
    expect(isHotPath("missing", schema)).toBe(false);
  });

  const cfg = (top: string): Config =>
    buildConfig(
      parseConfigText(
        `${top}\n[transports.telegram]\nbot_token = "${FAKE_TOKEN}"\nchat_id = 1\nallowed_user_ids = [1]\n`,
      ),
      {
        baseDir: "/srv/cfg",
      },
    ).config;

  test("marking a key hot on the schema is what moves it from restart to applied", () => {
    const a = cfg("watch_config = false");
    const b = cfg("watch_config = true");
    expect(diffConfig(a, b)).toEqual({ hot: [], restart: ["watch_config"] });
    const node = ConfigSchema.properties.watch_config as SchemaMarkers;
    node.reload = "hot";
    try {
      expect(isHotKey("watch_config")).toBe(true);
      expect(diffConfig(a, b)).toEqual({ hot: ["watch_config"], restart: [] });
    } finally {
      delete node.reload;
    }
    expect(isHotKey("watch_config")).toBe(false);
  });
});
