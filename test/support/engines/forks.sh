#!/bin/sh
# Fake engine: forks two long-lived children that ignore SIGTERM — one keeps stdout open, one does
# not — reports their pids, and exits without waiting for them.
trap '' TERM
sleep 300 &
a=$!
sleep 300 >/dev/null 2>&1 &
b=$!
echo '{"type":"started","id":"forks-1"}'
echo "{\"type\":\"pids\",\"pids\":[$a,$b]}"
echo '{"type":"done","answer":"forked"}'
exit 0
