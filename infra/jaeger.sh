#!/usr/bin/env bash
# infra/jaeger.sh {install|start|stop|status}
# Jaeger v2 (github.com/jaegertracing/jaeger/cmd/jaeger@$JAEGER_VERSION), built once from its Go module in a scratch
# module under $SHOP_CACHE/jaeger-build (`go get -tool`, then `go build`; about 5 minutes on 2 cores) into
# $SHOP_CACHE/bin/jaeger. Runs with infra/jaeger/config.yaml rendered into $SHOP_STATE: OTLP on
# 127.0.0.1:$JAEGER_OTLP_GRPC_PORT (gRPC) and :$JAEGER_OTLP_HTTP_PORT (HTTP), the query API on $JAEGER_URL,
# traces in memory (at most $JAEGER_MAX_TRACES). The web UI of a binary built this way is a placeholder; the full
# UI is the compose one (http://127.0.0.1:16686 there).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NAME=jaeger
J_BIN="$SHOP_CACHE/bin/jaeger"
J_BUILD="$SHOP_CACHE/jaeger-build"
J_CONF="$SHOP_STATE/jaeger.yaml"
MODULE=github.com/jaegertracing/jaeger

built_version() { go version -m "$J_BIN" 2>/dev/null | awk -v m="$MODULE" '($1 == "mod" || $1 == "dep") && $2 == m {print $3}'; }

install() {
  command -v curl >/dev/null || ensure_apt curl
  if [[ -x "$J_BIN" && "$(built_version)" == "$JAEGER_VERSION" ]]; then return 0; fi
  command -v go >/dev/null || die "$NAME: the Go toolchain is needed to build Jaeger ($MODULE/cmd/jaeger@$JAEGER_VERSION)"
  log "$NAME: building $MODULE/cmd/jaeger@$JAEGER_VERSION (about 5 minutes the first time; cached afterwards)"
  mkdir -p "$J_BUILD" "$SHOP_CACHE/bin"
  (
    cd "$J_BUILD"
    [[ -f go.mod ]] || go mod init shop.local/jaeger-build
    go get -tool "$MODULE/cmd/jaeger@$JAEGER_VERSION"
    GOFLAGS="${GOFLAGS:-} -buildvcs=false" go build -o "$J_BIN.tmp" "$MODULE/cmd/jaeger"
  ) >"$SHOP_LOGS/$NAME-install.log" 2>&1 || { tail -n 30 "$SHOP_LOGS/$NAME-install.log" >&2; die "$NAME: build failed (log: $SHOP_LOGS/$NAME-install.log)"; }
  mv "$J_BIN.tmp" "$J_BIN"
}

render() {
  sed -e "s/@JAEGER_OTLP_GRPC_PORT@/$JAEGER_OTLP_GRPC_PORT/g" -e "s/@JAEGER_OTLP_HTTP_PORT@/$JAEGER_OTLP_HTTP_PORT/g" \
    -e "s/@JAEGER_QUERY_PORT@/$JAEGER_QUERY_PORT/g" -e "s/@JAEGER_QUERY_GRPC_PORT@/$JAEGER_QUERY_GRPC_PORT/g" \
    -e "s/@JAEGER_HEALTH_PORT@/$JAEGER_HEALTH_PORT/g" -e "s/@JAEGER_METRICS_PORT@/$JAEGER_METRICS_PORT/g" \
    -e "s/@JAEGER_MAX_TRACES@/$JAEGER_MAX_TRACES/g" "$INFRA_DIR/jaeger/config.yaml" >"$J_CONF.tmp"
  mv "$J_CONF.tmp" "$J_CONF"
}

ready() { curl -fs -o /dev/null --max-time 3 "http://127.0.0.1:$JAEGER_HEALTH_PORT/status"; }

start() {
  install
  render
  if ! pid_alive "$SHOP_PIDS/$NAME.pid"; then
    ensure_port_free "$NAME" "$JAEGER_OTLP_HTTP_PORT"
    ensure_port_free "$NAME-query" "$JAEGER_QUERY_PORT"
    start_bg "$NAME" "$J_BIN" --config "file:$J_CONF"
  fi
  wait_cmd "${JAEGER_START_TIMEOUT:-60}" "$NAME" ready
  log "$NAME ready: OTLP $OTEL_EXPORTER_OTLP_ENDPOINT, query API $JAEGER_URL"
}

stop() { stop_pid "$NAME" 15; }

status() {
  port_status "$NAME" "$JAEGER_OTLP_HTTP_PORT"
  ready || return 3
}

component_main "$@"
