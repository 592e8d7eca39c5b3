#!/usr/bin/env bash
# A private Redis as a plain background process.
#   redis.sh start DIR PORT [--persistent] [--tls-port=N] [--cluster] [--replica-of=PORT]
#                                            start (or reuse); --persistent keeps data across restarts (AOF);
#                                            --tls-port also serves TLS on N (certificates as tls_certificates makes,
#                                            in DIR/tls); --cluster as a Redis Cluster node (redis-cluster.sh joins
#                                            them); --replica-of replicates the Redis on that port
#   redis.sh sentinel DIR PORT MASTER_PORT   a Sentinel on PORT watching the primary on MASTER_PORT as "celeriac"
#                                            (quorum 1, fail-over after 2 s)
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
  cluster=()
  for option in "${@:4}"; do
    case "$option" in
      # The dev instance promises results that survive a Redis restart; test instances are throwaway.
      --persistent) persistence=(--save '' --appendonly yes --appendfsync everysec) ;;
      --tls-port=*)
        tls_certificates "$dir/tls"
        tls=(--tls-port "${option#--tls-port=}" --tls-cert-file "$dir/tls/server.pem"
             --tls-key-file "$dir/tls/server.key" --tls-ca-cert-file "$dir/tls/ca.pem" --tls-auth-clients no) ;;
      # A small node timeout: a killed primary is failed over in seconds, on loopback.
      --cluster) cluster=(--cluster-enabled yes --cluster-config-file "$dir/nodes.conf" --cluster-node-timeout 2000) ;;
      --replica-of=*) cluster=(--replicaof 127.0.0.1 "${option#--replica-of=}") ;;
      *) die "unknown option $option" ;;
    esac
  done
  echo "$port" > "$dir/port"
  setsid redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" "${persistence[@]}" "${tls[@]}" "${cluster[@]}" \
    --daemonize no --logfile "$dir/redis.log" < /dev/null > /dev/null 2>&1 &
  echo $! > "$dir/redis.pid"
  wait_port "$port" 20 || { tail -20 "$dir/redis.log" >&2; die "Redis did not open port $port"; }
  log "Redis up on 127.0.0.1:$port"
  ;;
sentinel)
  port=${3:?PORT}; master=${4:?MASTER_PORT}
  if pid_alive "$dir/redis.pid" && port_open "$port"; then log "Sentinel already running on 127.0.0.1:$port"; exit 0; fi
  ensure_packages
  echo "$port" > "$dir/port"
  cat > "$dir/sentinel.conf" <<CONF
port $port
bind 127.0.0.1
dir $dir
sentinel monitor celeriac 127.0.0.1 $master 1
sentinel down-after-milliseconds celeriac 2000
sentinel failover-timeout celeriac 10000
CONF
  setsid redis-server "$dir/sentinel.conf" --sentinel --daemonize no --logfile "$dir/redis.log" \
    < /dev/null > /dev/null 2>&1 &
  echo $! > "$dir/redis.pid"
  wait_port "$port" 20 || { tail -20 "$dir/redis.log" >&2; die "Sentinel did not open port $port"; }
  log "Redis Sentinel up on 127.0.0.1:$port, watching 127.0.0.1:$master"
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
