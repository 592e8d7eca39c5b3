#!/usr/bin/env bash
# A RabbitMQ cluster on loopback: one rabbitmq.sh node per port, in DIR/<port>, the others joined to the first; the
# definitions are imported once all have joined, so a quorum queue gets a member on every node.
#   rabbitmq-cluster.sh start DIR DEFINITIONS PORT:DIST_PORT...   (DEFINITIONS: a file, e.g. definitions-quorum.json)
#   rabbitmq-cluster.sh stop DIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

cmd=${1:?usage: rabbitmq-cluster.sh start|stop DIR [DEFINITIONS PORT:DIST_PORT...]}
dir=$(mkdir -p "${2:?DIR}" && cd "$2" && pwd)
here=$(dirname "${BASH_SOURCE[0]}")

case "$cmd" in
start)
  definitions=${3:?DEFINITIONS}; shift 3
  [ $# -ge 2 ] || die "a cluster needs at least two nodes"
  cookie=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
  first=""
  for node in "$@"; do
    port=${node%%:*}; dist=${node##*:}
    CELERIAC_RABBITMQ_DEFINITIONS=none CELERIAC_RABBITMQ_COOKIE=$cookie \
      "$here/rabbitmq.sh" start "$dir/$port" "$port" "$dist"
    echo "$port" >> "$dir/ports"
    if [ -z "$first" ]; then
      first=$port
    else
      "$here/rabbitmq.sh" ctl "$dir/$port" stop_app >>"$dir/join.log" 2>&1
      "$here/rabbitmq.sh" ctl "$dir/$port" reset >>"$dir/join.log" 2>&1
      "$here/rabbitmq.sh" ctl "$dir/$port" join_cluster "rmq$first@localhost" >>"$dir/join.log" 2>&1
      "$here/rabbitmq.sh" ctl "$dir/$port" start_app >>"$dir/join.log" 2>&1
    fi
  done
  "$here/rabbitmq.sh" ctl "$dir/$first" import_definitions "$definitions" >/dev/null
  log "RabbitMQ cluster up: nodes on ports ${*%%:*}, definitions $(basename "$definitions")"
  ;;
stop)
  [ -f "$dir/ports" ] || exit 0
  # rabbitmqctl reads stdin: without /dev/null it would eat the rest of the list.
  while read -r port; do "$here/rabbitmq.sh" stop "$dir/$port" < /dev/null; done < "$dir/ports"
  rm -f "$dir/ports"
  ;;
*) die "unknown command $cmd" ;;
esac
