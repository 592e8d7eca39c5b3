# Shared helpers for the scripts in scripts/. Sourced, not run.
set -euo pipefail

CELERIAC_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RABBITMQ_BIN=/usr/lib/rabbitmq/bin
PG_BIN=/usr/lib/postgresql/15/bin
DEBIAN_PYTHON=/usr/bin/python3

log() { printf '[celeriac] %s\n' "$*" >&2; }
die() { printf '[celeriac] error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs the Debian packages that are missing; apt-get update runs only when something must be installed.
ensure_packages() {
  local missing=()
  [ -x "$RABBITMQ_BIN/rabbitmq-server" ] || missing+=(rabbitmq-server)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  # The tests' broker has a TLS listener whose certificates openssl makes.
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  if [ "${CELERIAC_NEEDS_POSTGRES:-0}" = 1 ] && [ ! -x "$PG_BIN/initdb" ]; then missing+=(postgresql); fi
  if [ "${CELERIAC_NEEDS_BROWSER:-0}" = 1 ]; then
    [ -x /usr/bin/chromium ] || missing+=(chromium)
    [ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
  fi
  # Python Celery for the interop tests. Debian's packages serve /usr/bin/python3, not a pyenv/venv python3 on PATH.
  if [ "${CELERIAC_NEEDS_PYTHON:-0}" = 1 ] && ! "$DEBIAN_PYTHON" -c 'import celery, redis' >/dev/null 2>&1; then
    missing+=(python3-celery python3-redis)
  fi
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]} (Debian packages)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  # policy-rc.d keeps the packages from starting system-wide services: the scripts start their own instances.
  as_root env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() { # port seconds
  local deadline=$((SECONDS + $2))
  until port_open "$1"; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.1
  done
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# tls_certificates DIR: a CA and a server certificate it signed for the loopback names (DIR/ca.pem, server.pem,
# server.key), and the CA as a PKCS#12 trust store (DIR/trust.p12, password "celeriac"). For the tests' TLS listeners.
tls_certificates() {
  local tls=$1
  [ -f "$tls/trust.p12" ] && return 0
  mkdir -p "$tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=celeriac test CA" \
    -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$tls/san.ext"
  openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial -days 30 \
    -extfile "$tls/san.ext" -out "$tls/server.pem" 2>/dev/null
  chmod 644 "$tls/server.key"
  keytool -importcert -noprompt -alias celeriac-test-ca -file "$tls/ca.pem" -keystore "$tls/trust.p12" \
    -storetype PKCS12 -storepass celeriac >/dev/null
}
