#!/bin/sh
# A version-manager shim (asdf, mise, nvm style): a shell script that finds the real CLI and execs it.
# Shells set PWD, OLDPWD, SHLVL and _ by themselves; this one sets all four explicitly, as bash does.
cd "$(dirname "$0")" && cd - >/dev/null
SHLVL=$((${SHLVL:-0} + 1))
_=/usr/bin/shim
export PWD OLDPWD SHLVL _
exec "$(dirname "$0")/env-dump.ts" "$@"
