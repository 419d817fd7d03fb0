#!/usr/bin/env bash
# Runs one process of a real test cluster and ends it when the cluster is gone: when the
# cluster's lease file is removed or the test JVM that started it has died (a crashed or killed
# test leaves nothing running). The process's own pid goes to the pid file, for kill -9 tests.
# usage: watchdog.sh LEASE_FILE TEST_JVM_PID PID_FILE DIR/stdout COMMAND...   (stderr goes to DIR/stderr)
lease=$1 test_jvm=$2 pid_file=$3 log=$4
shift 4
"$@" >>"$log" 2>>"${log%stdout}stderr" &
pid=$!
echo "$pid" >"$pid_file.tmp" && mv "$pid_file.tmp" "$pid_file"
while [[ -e $lease ]] && kill -0 "$test_jvm" 2>/dev/null && kill -0 "$pid" 2>/dev/null; do
  sleep 1
done
if kill -0 "$pid" 2>/dev/null; then
  kill -TERM "$pid"
  for _ in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
fi
wait "$pid"
