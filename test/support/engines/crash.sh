#!/bin/sh
# Fake engine: starts, complains on stderr with a private path, and dies without a result.
echo '{"type":"started","id":"crash-1"}'
echo "fatal: cannot read /home/someone/project/secret.ts:12 (boom)" >&2
exit 3
