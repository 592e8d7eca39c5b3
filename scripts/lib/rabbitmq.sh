#!/usr/bin/env bash
# A private RabbitMQ node as a plain background process (no systemd), with the AMQP 1.0 plugin and Celeriac's
# queues declared. Used by scripts/services and by the tests' resource, so both start brokers the same way.
#   rabbitmq.sh start DIR PORT DIST_PORT [TLS_PORT]
#                                          start (or reuse) the node whose files live in DIR; with TLS_PORT, also an
#                                          AMQPS listener there, its certificate (for localhost and 127.0.0.1) signed
#                                          by a CA of its own: DIR/tls/ca.pem, and DIR/tls/trust.p12 (password
#                                          "celeriac") as a trust store
#                                          CELERIAC_RABBITMQ_DEFINITIONS: the definitions file to import (default
#                                          docker/rabbitmq/definitions.json), or "none"
#                                          CELERIAC_RABBITMQ_COOKIE: the Erlang cookie (nodes of a cluster share one)
#   rabbitmq.sh stop DIR                   stop it
#   rabbitmq.sh kill DIR                   SIGKILL it (a node lost without warning)
#   rabbitmq.sh status DIR
#   rabbitmq.sh ctl DIR ARGS...            rabbitmqctl ARGS on that node
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

cmd=${1:?usage: rabbitmq.sh start|stop|status|ctl DIR [PORT DIST_PORT [TLS_PORT]] | [rabbitmqctl args]}
dir=$(mkdir -p "${2:?DIR}" && cd "$2" && pwd)

node_env() {
  local port dist
  port=$(cat "$dir/port"); dist=$(cat "$dir/dist_port")
  export HOME="$dir/home" RABBITMQ_CONF_ENV_FILE=/dev/null RABBITMQ_NODENAME="rmq$port@localhost"
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$port" RABBITMQ_DIST_PORT="$dist"
  export ERL_EPMD_ADDRESS=127.0.0.1 RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
  export RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" RABBITMQ_PID_FILE="$dir/rabbitmq.pid"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf"
}

ctl() { "$RABBITMQ_BIN/rabbitmqctl" -n "$RABBITMQ_NODENAME" "$@"; }

case "$cmd" in
start)
  port=${3:?PORT}; dist=${4:?DIST_PORT}
  if [ -f "$dir/port" ] && [ "$(cat "$dir/port")" = "$port" ] && pid_alive "$dir/wrapper.pid" && port_open "$port"; then
    log "RabbitMQ already running on 127.0.0.1:$port"; exit 0
  fi
  ensure_packages
  echo "$port" > "$dir/port"; echo "$dist" > "$dir/dist_port"
  mkdir -p "$dir/home" "$dir/log"
  if [ -n "${CELERIAC_RABBITMQ_COOKIE:-}" ]; then
    printf '%s' "$CELERIAC_RABBITMQ_COOKIE" > "$dir/home/.erlang.cookie"; chmod 400 "$dir/home/.erlang.cookie"
  fi
  echo '[rabbitmq_amqp1_0].' > "$dir/enabled_plugins"
  # consumer_timeout: the broker would close the channel of a task running longer than 30 min (celery #6760).
  cat > "$dir/rabbitmq.conf" <<CONF
loopback_users.guest = true
consumer_timeout = 86400000
CONF
  tls_port=${5:-}
  if [ -n "$tls_port" ]; then
    tls_certificates "$dir/tls"
    cat >> "$dir/rabbitmq.conf" <<CONF
listeners.ssl.default = $tls_port
ssl_options.cacertfile = $dir/tls/ca.pem
ssl_options.certfile = $dir/tls/server.pem
ssl_options.keyfile = $dir/tls/server.key
ssl_options.verify = verify_none
ssl_options.fail_if_no_peer_cert = false
CONF
  fi
  node_env
  setsid "$RABBITMQ_BIN/rabbitmq-server" > "$dir/log/console.log" 2>&1 < /dev/null &
  echo $! > "$dir/wrapper.pid"
  wait_port "$port" 60 || { tail -20 "$dir/log/console.log" >&2; die "RabbitMQ did not open port $port"; }
  ctl await_startup >/dev/null 2>&1 || { sleep 1; ctl await_startup >/dev/null; }
  definitions=${CELERIAC_RABBITMQ_DEFINITIONS:-$CELERIAC_HOME/docker/rabbitmq/definitions.json}
  # "none" for a node that joins a cluster (rabbitmq-cluster.sh imports them once the cluster stands).
  [ "$definitions" = none ] || ctl import_definitions "$definitions" >/dev/null
  log "RabbitMQ up on 127.0.0.1:$port (AMQP 0-9-1 and 1.0)${tls_port:+, TLS on $tls_port}, node $RABBITMQ_NODENAME"
  ;;
stop)
  [ -f "$dir/port" ] || exit 0
  node_env
  if pid_alive "$dir/wrapper.pid"; then
    ctl stop >/dev/null 2>&1 || kill "$(cat "$dir/wrapper.pid")" 2>/dev/null || true
    for _ in $(seq 1 100); do pid_alive "$dir/wrapper.pid" || break; sleep 0.1; done
    pid_alive "$dir/wrapper.pid" && kill -9 -- "-$(cat "$dir/wrapper.pid")" 2>/dev/null || true
  fi
  rm -f "$dir/wrapper.pid"
  ;;
kill)
  pid_alive "$dir/wrapper.pid" && kill -9 -- "-$(cat "$dir/wrapper.pid")" 2>/dev/null || true
  rm -f "$dir/wrapper.pid"
  ;;
ctl)
  node_env
  shift 2
  ctl "$@"
  ;;
status)
  if [ -f "$dir/port" ] && pid_alive "$dir/wrapper.pid" && port_open "$(cat "$dir/port")"; then
    echo "rabbitmq: running on 127.0.0.1:$(cat "$dir/port")"
  else
    echo "rabbitmq: stopped"; exit 3
  fi
  ;;
*) die "unknown command $cmd" ;;
esac
