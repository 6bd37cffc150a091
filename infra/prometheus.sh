#!/usr/bin/env bash
# infra/prometheus.sh {install|start|stop|status}
# The Debian prometheus binary (not the Debian service) with our config rendered from
# infra/prometheus.yml into $SHOP_STATE/prometheus.yml and the alert rules of infra/alerts.yml beside it,
# TSDB in $SHOP_STATE/data/prometheus, listening on $PROMETHEUS_HOST:$PROMETHEUS_PORT; and Debian's
# prometheus-node-exporter (filesystem collector only, for the disk alert) on 127.0.0.1:$NODE_EXPORTER_PORT.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NAME=prometheus
P_CONF="$SHOP_STATE/prometheus.yml"
P_DATA="$SHOP_STATE/data/prometheus"
P_BIN=/usr/bin/prometheus
N_BIN=/usr/bin/prometheus-node-exporter

install() {
  command -v curl >/dev/null || ensure_apt curl
  ensure_apt prometheus prometheus-node-exporter
  mkdir -p "$P_DATA"
  sed -e "s/@PROMETHEUS_HOST@/${PROMETHEUS_HOST}/g" -e "s/@PROMETHEUS_PORT@/${PROMETHEUS_PORT}/g" \
    -e "s/@NODE_EXPORTER_PORT@/${NODE_EXPORTER_PORT}/g" "$INFRA_DIR/prometheus.yml" >"$P_CONF.tmp"
  cp "$INFRA_DIR/alerts.yml" "$(dirname "$P_CONF")/alerts.yml"
  mv "$P_CONF.tmp" "$P_CONF"
  if command -v promtool >/dev/null; then
    promtool check config "$P_CONF" >/dev/null 2>&1 || { promtool check config "$P_CONF" >&2 || true; die "$NAME: invalid config $P_CONF"; }
  fi
}

ready() { curl -fs -o /dev/null --max-time 3 "$PROMETHEUS_URL/-/ready"; }

start() {
  install
  if ! pid_alive "$SHOP_PIDS/node-exporter.pid"; then
    ensure_port_free node-exporter "$NODE_EXPORTER_PORT"
    start_bg node-exporter "$N_BIN" --web.listen-address="127.0.0.1:$NODE_EXPORTER_PORT" \
      --collector.disable-defaults --collector.filesystem --log.level=warn
  fi
  if pid_alive "$SHOP_PIDS/$NAME.pid"; then
    # pick up template changes without a restart
    kill -HUP "$(<"$SHOP_PIDS/$NAME.pid")" 2>/dev/null || true
  else
    # The Debian package ships its own service (prometheus on :9090); if it is running
    # (systemd machines start it on install) it blocks our port: say so clearly.
    if tcp_open 127.0.0.1 "$PROMETHEUS_PORT"; then
      die "$NAME: port $PROMETHEUS_PORT is taken by $(port_owner "$PROMETHEUS_PORT" || echo 'another process'), not by us; this is usually Debian's own prometheus service: stop it with 'systemctl disable --now prometheus' (or 'service prometheus stop'), or set PROMETHEUS_PORT"
    fi
    start_bg "$NAME" "$P_BIN" \
      --config.file="$P_CONF" \
      --storage.tsdb.path="$P_DATA" \
      --storage.tsdb.retention.time=7d \
      --web.listen-address="$PROMETHEUS_HOST:$PROMETHEUS_PORT" \
      --web.enable-lifecycle \
      --log.level=warn
  fi
  wait_cmd "${PROMETHEUS_START_TIMEOUT:-60}" "$NAME" ready
  log "$NAME ready at $PROMETHEUS_URL"
}

stop() {
  stop_pid "$NAME" 30
  stop_pid node-exporter 10
}

status() {
  port_status "$NAME" "$PROMETHEUS_PORT"
  ready || return 3
}

component_main "$@"
