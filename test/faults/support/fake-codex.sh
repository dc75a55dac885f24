#!/bin/sh
# A misbehaving fake `codex` (the prompt arrives on stdin, as codex reads it):
# - a prompt containing "fork": forks two `sleep 300` children and exits at once without waiting for
#   them — one keeps our stdout open (the bot's reader never sees EOF), one has detached its stdio.
#   Their pids are printed inside the answer, so a test can check they were killed with the run.
# - a prompt containing "big": the command output arrives as one 5 MB JSON line, then a short answer.
prompt=$(cat)
echo '{"type":"thread.started","thread_id":"fault-thread-1"}'
echo '{"type":"turn.started"}'
case "$prompt" in
*fork*)
  sleep 300 &
  p1=$!
  sleep 300 </dev/null >/dev/null 2>&1 &
  p2=$!
  echo "{\"type\":\"item.completed\",\"item\":{\"id\":\"item_0\",\"type\":\"agent_message\",\"text\":\"forked children pids: $p1 $p2\"}}"
  ;;
*big*)
  echo '{"type":"item.started","item":{"id":"item_1","type":"command_execution","command":"cat big.log","aggregated_output":"","exit_code":null,"status":"in_progress"}}'
  printf '%s' '{"type":"item.completed","item":{"id":"item_1","type":"command_execution","command":"cat big.log","aggregated_output":"'
  head -c 5242880 /dev/zero | tr '\000' 'a'
  printf '%s\n' '","exit_code":0,"status":"completed"}}'
  echo '{"type":"item.completed","item":{"id":"item_2","type":"agent_message","text":"the big line went through"}}'
  ;;
*)
  echo '{"type":"item.completed","item":{"id":"item_0","type":"agent_message","text":"plain answer"}}'
  ;;
esac
echo '{"type":"turn.completed","usage":{"input_tokens":1,"cached_input_tokens":0,"output_tokens":1}}'
exit 0
