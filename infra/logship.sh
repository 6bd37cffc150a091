#!/usr/bin/env bash
# infra/logship.sh {install|start|stop|status|retention|render}
# The local log shipper: Debian's rsyslog (imfile + omelasticsearch) tails every service's log file in $SHOP_LOGS
# and bulk-indexes the JSON lines into Elasticsearch's daily logs-shop-YYYY.MM.dd indices, with the index template
# elk/index-template.json (installed here; compose's Logstash installs the same file). Config: infra/logship/rsyslog.conf
# rendered into $SHOP_STATE/logship. Retention: a small job deletes logs-shop-* indices older than
# $LOG_RETENTION_DAYS days, at start and then hourly (`retention` runs it once).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NAME=logship
L_DIR="$SHOP_STATE/logship"
L_CONF="$L_DIR/rsyslog.conf"
L_STATS="$SHOP_LOGS/logship-stats.log"

install() {
  command -v curl >/dev/null || ensure_apt curl
  ensure_apt rsyslog rsyslog-elasticsearch
}

# The services whose logs are shipped: every folder with a src/main.ts (the services make.sh starts).
services() { (cd "$REPO" && for m in */src/main.ts; do echo "${m%%/*}"; done); }

render() {
  mkdir -p "$L_DIR/work"
  local inputs="" s
  for s in $(services); do
    inputs+="input(type=\"imfile\" File=\"$SHOP_LOGS/$s.log\" Tag=\"$s:\" ruleset=\"shop-logs\" freshStartTail=\"off\" reopenOnTruncate=\"on\" addMetadata=\"off\")"$'\n'
  done
  local es_host=${ELASTICSEARCH_URL#*://}; es_host=${es_host%%/*}
  INPUTS=$inputs ES_HOST=${es_host%%:*} ES_PORT=${es_host##*:} WORK="$L_DIR/work" STATS_FILE="$L_STATS" \
    QUEUE_SIZE="$LOG_QUEUE_LINES" QUEUE_DISK="$LOG_QUEUE_DISK" \
    awk '{ while (match($0, /@[A-Z_]+@/)) { k = substr($0, RSTART + 1, RLENGTH - 2); $0 = substr($0, 1, RSTART - 1) ENVIRON[k] substr($0, RSTART + RLENGTH) } print }' \
    "$INFRA_DIR/logship/rsyslog.conf" >"$L_CONF.tmp"
  rsyslogd -N1 -f "$L_CONF.tmp" >"$L_DIR/check.log" 2>&1 || { cat "$L_DIR/check.log" >&2; die "$NAME: invalid rsyslog config $L_CONF.tmp"; }
  mv "$L_CONF.tmp" "$L_CONF"
}

install_template() {
  local code
  code=$(curl -s -o "$L_DIR/template.out" -w '%{http_code}' --max-time 10 -X PUT "$ELASTICSEARCH_URL/_index_template/logs-shop" \
    -H 'content-type: application/json' --data-binary "@$REPO/elk/index-template.json") || code=000
  [[ "$code" == 200 ]] || { cat "$L_DIR/template.out" >&2; die "$NAME: installing the index template logs-shop failed (HTTP $code)"; }
}

# Deletes daily log indices older than LOG_RETENTION_DAYS (by the date in their name).
retention() {
  local oldest index day
  oldest=$(date -u -d "-$LOG_RETENTION_DAYS days" +%Y.%m.%d)
  for index in $(curl -fsS --max-time 10 "$ELASTICSEARCH_URL/_cat/indices/logs-shop-*?h=index" 2>/dev/null || true); do
    day=${index#logs-shop-}
    [[ "$day" =~ ^[0-9]{4}\.[0-9]{2}\.[0-9]{2}$ ]] || continue
    if [[ "$day" < "$oldest" ]]; then
      curl -fsS -o /dev/null --max-time 10 -X DELETE "$ELASTICSEARCH_URL/$index" && log "$NAME: retention deleted $index (older than $LOG_RETENTION_DAYS days)"
    fi
  done
}

start() {
  install
  render
  install_template
  if ! pid_alive "$SHOP_PIDS/$NAME.pid"; then
    start_bg "$NAME" rsyslogd -n -f "$L_CONF" -i "$L_DIR/rsyslogd.pid"
  fi
  if ! pid_alive "$SHOP_PIDS/$NAME-retention.pid"; then
    start_bg "$NAME-retention" bash -c "while true; do '$INFRA_DIR/logship.sh' retention; sleep 3600; done"
  fi
  wait_cmd 10 "$NAME" pid_alive "$SHOP_PIDS/$NAME.pid"
  log "$NAME shipping $(services | wc -l) service logs to $ELASTICSEARCH_URL/logs-shop-* (retention $LOG_RETENTION_DAYS days)"
}

stop() {
  stop_pid "$NAME-retention" 5
  stop_pid "$NAME" 20
}

status() {
  if pid_alive "$SHOP_PIDS/$NAME.pid"; then printf '%-14s %-5s %s\n' "$NAME" up "-> $ELASTICSEARCH_URL"; else printf '%-14s %-5s\n' "$NAME" down; return 3; fi
}

case "${1:-}" in
  retention) retention; exit 0 ;;
  # Only the config (the tests run their own rsyslogd on it, with SHOP_STATE, SHOP_LOGS and ELASTICSEARCH_URL of theirs).
  render) render; echo "$L_CONF"; exit 0 ;;
esac
component_main "$@"
