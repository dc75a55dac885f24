#!/bin/sh
# Wrapper that re-adds a variable the policy forbids before exec'ing the real engine (env audit test).
LEAKY_WRAPPER_SECRET=from-wrapper
export LEAKY_WRAPPER_SECRET
exec "$(dirname "$0")/env-dump.ts" "$@"
