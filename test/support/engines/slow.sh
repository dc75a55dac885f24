#!/bin/sh
# Fake engine: starts and then works for a long time (cancel and timeout tests).
echo "{\"type\":\"started\",\"id\":\"slow-1\",\"pid\":$$}"
sleep 300 &
wait $!
