#!/bin/sh
# Fake engine: non-JSON noise mixed with JSON lines (one behind a warning prefix), then a result.
echo 'Warning: something noisy'
echo '{"type":"started","id":"garbage-1"}'
echo 'not json at all'
echo '[1,2,3]'
echo '{broken'
printf 'DeprecationWarning: x {"type":"note","text":"behind a prefix"}\n'
printf '{"type":"done","answer":"survived"}'
