#!/usr/bin/env bash
# A Redis Cluster on loopback: one redis.sh node per port, in DIR/<port>, joined by redis-cli.
#   redis-cluster.sh start DIR REPLICAS PORT...   start the nodes and create the cluster (REPLICAS per primary:
#                                                 3 ports and 0 give three primaries); waits until every slot is served
#   redis-cluster.sh stop DIR
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

cmd=${1:?usage: redis-cluster.sh start|stop DIR [REPLICAS PORT...]}
dir=$(mkdir -p "${2:?DIR}" && cd "$2" && pwd)
here=$(dirname "${BASH_SOURCE[0]}")

case "$cmd" in
start)
  replicas=${3:?REPLICAS}; shift 3
  [ $# -ge 3 ] || die "a cluster needs at least three primaries"
  nodes=()
  for port in "$@"; do
    "$here/redis.sh" start "$dir/$port" "$port" --cluster
    nodes+=("127.0.0.1:$port")
    echo "$port" >> "$dir/ports"
  done
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas "$replicas" --cluster-yes > "$dir/create.log" 2>&1 \
    || { cat "$dir/create.log" >&2; die "could not create the Redis Cluster"; }
  for port in "$@"; do
    for _ in $(seq 1 100); do
      redis-cli -p "$port" cluster info 2>/dev/null | grep -q 'cluster_state:ok' && break
      sleep 0.1
    done
    redis-cli -p "$port" cluster info | grep -q 'cluster_state:ok' || die "node $port never saw the cluster ok"
  done
  log "Redis Cluster up on ${nodes[*]} ($replicas replica(s) per primary)"
  ;;
stop)
  [ -f "$dir/ports" ] || exit 0
  while read -r port; do "$here/redis.sh" stop "$dir/$port" < /dev/null; done < "$dir/ports"
  rm -f "$dir/ports"
  ;;
*) die "unknown command $cmd" ;;
esac
