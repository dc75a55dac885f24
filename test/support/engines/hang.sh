#!/bin/sh
# Fake engine: ignores SIGTERM (its sleep child inherits that) and never exits: only SIGKILL ends it.
trap '' TERM
echo "{\"type\":\"started\",\"id\":\"hang-1\",\"pid\":$$}"
while :; do sleep 1; done
