#!/usr/bin/env bash
# A private Redis as a plain background process.
#   redis.sh start DIR PORT [--persistent] [--tls-port=N]
#                                            start (or reuse); --persistent keeps data across restarts (AOF);
#                                            --tls-port also serves TLS on N (certificates as tls_certificates makes,
#                                            in DIR/tls)
#   redis.sh stop DIR | status DIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

cmd=${1:?usage: redis.sh start|stop|status DIR [PORT] [--persistent] [--tls-port=N]}
dir=$(mkdir -p "${2:?DIR}" && cd "$2" && pwd)

case "$cmd" in
start)
  port=${3:?PORT}
  if pid_alive "$dir/redis.pid" && port_open "$port"; then log "Redis already running on 127.0.0.1:$port"; exit 0; fi
  ensure_packages
  persistence=(--save '' --appendonly no)
  tls=()
  for option in "${@:4}"; do
    case "$option" in
      # The dev instance promises results that survive a Redis restart; test instances are throwaway.
      --persistent) persistence=(--save '' --appendonly yes --appendfsync everysec) ;;
      --tls-port=*)
        tls_certificates "$dir/tls"
        tls=(--tls-port "${option#--tls-port=}" --tls-cert-file "$dir/tls/server.pem"
             --tls-key-file "$dir/tls/server.key" --tls-ca-cert-file "$dir/tls/ca.pem" --tls-auth-clients no) ;;
      *) die "unknown option $option" ;;
    esac
  done
  echo "$port" > "$dir/port"
  setsid redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" "${persistence[@]}" "${tls[@]}" \
    --daemonize no --logfile "$dir/redis.log" < /dev/null > /dev/null 2>&1 &
  echo $! > "$dir/redis.pid"
  wait_port "$port" 20 || { tail -20 "$dir/redis.log" >&2; die "Redis did not open port $port"; }
  log "Redis up on 127.0.0.1:$port"
  ;;
stop)
  if pid_alive "$dir/redis.pid"; then
    kill "$(cat "$dir/redis.pid")" 2>/dev/null || true
    for _ in $(seq 1 50); do pid_alive "$dir/redis.pid" || break; sleep 0.1; done
  fi
  rm -f "$dir/redis.pid"
  ;;
status)
  if pid_alive "$dir/redis.pid" && port_open "$(cat "$dir/port")"; then echo "redis: running on 127.0.0.1:$(cat "$dir/port")"
  else echo "redis: stopped"; exit 3; fi
  ;;
*) die "unknown command $cmd" ;;
esac
