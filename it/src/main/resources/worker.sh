#!/usr/bin/env bash
# Test worker: reports its version, container and node, then a heartbeat every 100 ms, using
# bash builtins only so that many workers do not load the machine. It ends by itself when the
# lease file of its test cluster is gone (a killed test JVM must not leave workers behind).
log="$WP_REPORT_DIR/workers/$CONTAINER_ID.log"
lease="$WP_REPORT_DIR/lease"
stamp() { ms=${EPOCHREALTIME/./}; ms=${ms:0:-3}; }

exec 8>>"$log"
mkfifo .heartbeat-clock && exec 9<>.heartbeat-clock
read -r file_version < version.txt
if [[ -n "${WP_WORKER_IGNORE_TERM:-}" ]]; then
  trap 'stamp; echo "term $ms" >&8' TERM
else
  trap 'stamp; echo "stop $ms" >&8; exit 0' TERM
fi

stamp
echo "start version=$WP_VERSION file_version=$file_version container=$CONTAINER_ID node=$NM_HOST:$NM_PORT pid=$$ ts=$ms counters=$LOCALIZATION_COUNTERS" >&8
[[ -n "${WP_WORKER_EXIT_AT_START:-}" ]] && exit "$WP_WORKER_EXIT_AT_START"
while [[ -e "$lease" ]]; do
  stamp
  echo "hb $ms" >&8
  read -r -t 0.1 -u 9
done
stamp
echo "lease-gone $ms" >&8
