#!/usr/bin/env bash
# infra/all.sh {install|start|stop|status}
# All local infrastructure components. start: the slow JVMs (Elasticsearch, Kafka) are
# launched first in the background, the quick ones are started meanwhile, then we wait for
# all of them. stop: reverse order. status: one line per component; exit 3 if any is down.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

COMPONENTS=(postgres redis kafka elasticsearch minio mailpit jaeger prometheus logship)
SLOW=(elasticsearch kafka)
QUICK=(postgres redis minio mailpit jaeger prometheus)
# Started once the others are ready (the log shipper installs its index template in Elasticsearch).
LATE=(logship)

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# wait_all name:pid...: wait for background component jobs, fail naming those that failed
wait_all() {
  local failed=() np
  for np in "$@"; do
    wait "${np#*:}" || failed+=("${np%%:*}")
  done
  ((${#failed[@]} == 0)) || die "failed: ${failed[*]} (logs in $SHOP_LOGS)"
}

# Every Debian package the components need, in one apt-get run (one `apt-get update`)
# instead of one per component script.
apt_all() {
  local pkgs=(redis-server redis-tools hunspell-ru hunspell-en-us prometheus prometheus-node-exporter rsyslog rsyslog-elasticsearch)
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || pkgs+=(postgresql postgresql-contrib)
  command -v java >/dev/null || pkgs+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null || pkgs+=(maven)
  local tool
  for tool in curl unzip; do command -v "$tool" >/dev/null || pkgs+=("$tool"); done
  ensure_apt "${pkgs[@]}"
}

install_all() {
  local c t
  apt_all
  for c in "${COMPONENTS[@]}"; do
    t=$(now)
    "$INFRA_DIR/$c.sh" install
    log "$c installed ($(since "$t") s)"
  done
}

start_all() {
  local t0 c jobs=()
  t0=$(now)
  # Installs first, one after another: they may call apt-get, mvn and go, which must not
  # run concurrently (apt lock). When everything is installed this takes about a second.
  apt_all
  for c in "${COMPONENTS[@]}"; do "$INFRA_DIR/$c.sh" install; done
  for c in "${SLOW[@]}"; do
    "$INFRA_DIR/$c.sh" start &
    jobs+=("$c:$!")
  done
  for c in "${QUICK[@]}"; do
    "$INFRA_DIR/$c.sh" start || { wait_all "${jobs[@]}" || true; die "$c failed to start (log: $SHOP_LOGS/$c.log)"; }
  done
  wait_all "${jobs[@]}"
  for c in "${LATE[@]}"; do "$INFRA_DIR/$c.sh" start || die "$c failed to start (log: $SHOP_LOGS/$c.log)"; done
  log "all infrastructure ready in $(since "$t0") s (state: $SHOP_STATE)"
}

stop_all() {
  local t0 jobs=()
  t0=$(now)
  "$INFRA_DIR/logship.sh" stop
  "$INFRA_DIR/prometheus.sh" stop
  "$INFRA_DIR/jaeger.sh" stop
  "$INFRA_DIR/mailpit.sh" stop
  "$INFRA_DIR/minio.sh" stop
  "$INFRA_DIR/elasticsearch.sh" stop & jobs+=("elasticsearch:$!")
  "$INFRA_DIR/kafka.sh" stop & jobs+=("kafka:$!")
  wait_all "${jobs[@]}"
  "$INFRA_DIR/redis.sh" stop
  "$INFRA_DIR/postgres.sh" stop
  log "all infrastructure stopped in $(since "$t0") s"
}

status_all() {
  local c rc=0
  for c in "${COMPONENTS[@]}"; do
    "$INFRA_DIR/$c.sh" status || rc=3
  done
  return "$rc"
}

case "${1:-}" in
  install) install_all ;;
  start) start_all ;;
  stop) stop_all ;;
  status) status_all ;;
  *) usage_die ;;
esac
