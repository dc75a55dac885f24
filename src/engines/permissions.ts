// An engine's approval policy: how permissive each permission mode is, and whether a run in a mode
// can run shell commands nobody approved. Triggered runs (webhooks, crons, /at) run unattended: they
// never get a mode more permissive than the engine's config, and doctor warns when they can run shell
// commands without approval.

export interface PermissionPolicy {
  /** The mode a run gets when it asks for none (the config's). */
  readonly configured: string | undefined;
  /** Higher is more permissive; an unknown mode ranks above everything (never granted unattended). */
  rank(mode: string | undefined): number;
  /** True when a run in this mode can run shell commands without anybody approving them. */
  shellWithoutApproval(mode: string | undefined): boolean;
}

export function definePermissions(spec: {
  configured: string | undefined;
  /** The modes from least to most permissive; `undefined` stands for the CLI's own default. */
  order: ReadonlyArray<string | undefined>;
  shellWithoutApproval(mode: string | undefined): boolean;
}): PermissionPolicy {
  const rank = (mode: string | undefined) => {
    const i = spec.order.indexOf(mode ?? spec.configured);
    return i < 0 ? Number.POSITIVE_INFINITY : i;
  };
  return {
    configured: spec.configured,
    rank,
    shellWithoutApproval: (mode) => spec.shellWithoutApproval(mode ?? spec.configured),
  };
}

/** The mode an unattended run may have: the requested one unless it is more permissive than the config's. */
export function unattendedMode(
  policy: PermissionPolicy | undefined,
  requested: string | undefined,
): string | undefined {
  if (requested === undefined || policy === undefined) return requested;
  return policy.rank(requested) <= policy.rank(undefined) ? requested : undefined;
}
