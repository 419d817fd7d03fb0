#!/usr/bin/env bash
# A distributedshell worker (--shell_command bash --shell_args <this file>): reports its version,
# container, node and pid, then a heartbeat every 200 ms with bash builtins only, into the real
# cluster's report folder. It ends by itself when the cluster's lease file is gone.
dir=$(dirname "$0")
lease="$dir/lease"
log="$dir/workers/$CONTAINER_ID.log"
stamp() { ms=${EPOCHREALTIME/./}; ms=${ms:0:-3}; }
exec 8>>"$log"
trap 'stamp; echo "stop $ms" >&8; exit 0' TERM
stamp
echo "start version=$WP_VERSION container=$CONTAINER_ID node=$NM_HOST:$NM_PORT pid=$$ ts=$ms counters=$LOCALIZATION_COUNTERS" >&8
mkfifo .heartbeat-clock && exec 9<>.heartbeat-clock
while [[ -e $lease ]]; do
  stamp
  echo "hb $ms" >&8
  read -r -t 0.2 -u 9
done
stamp
echo "lease-gone $ms" >&8
