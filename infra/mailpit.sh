#!/usr/bin/env bash
# infra/mailpit.sh {install|start|stop|status}
# Mailpit (the SMTP catcher docker-compose runs too), built with `go install github.com/axllent/mailpit@$MAILPIT_VERSION`
# into $SHOP_CACHE/bin: SMTP on 127.0.0.1:$MAILPIT_SMTP_PORT (the notifier's SMTP_URL), web UI and API on
# 127.0.0.1:$MAILPIT_HTTP_PORT, messages in $SHOP_STATE/data/mailpit.db (the newest $MAILPIT_MAX_MESSAGES kept).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NAME=mailpit
M_BIN="$SHOP_CACHE/bin/mailpit"

install() { go_install "$NAME" github.com/axllent/mailpit "$MAILPIT_VERSION"; }

ready() { curl -fs -o /dev/null --max-time 3 "$MAILPIT_URL/readyz"; }

start() {
  install
  if ! pid_alive "$SHOP_PIDS/$NAME.pid"; then
    ensure_port_free "$NAME" "$MAILPIT_SMTP_PORT"
    ensure_port_free "$NAME-ui" "$MAILPIT_HTTP_PORT"
    mkdir -p "$SHOP_STATE/data"
    start_bg "$NAME" "$M_BIN" --quiet --disable-version-check --smtp-auth-accept-any --smtp-auth-allow-insecure \
      --smtp "127.0.0.1:$MAILPIT_SMTP_PORT" --listen "127.0.0.1:$MAILPIT_HTTP_PORT" \
      --database "$SHOP_STATE/data/mailpit.db" --max "$MAILPIT_MAX_MESSAGES"
  fi
  wait_cmd "${MAILPIT_START_TIMEOUT:-30}" "$NAME" ready
  log "$NAME ready: SMTP $SMTP_URL, web UI $MAILPIT_URL"
}

stop() { stop_pid "$NAME" 10; }

status() {
  port_status "$NAME" "$MAILPIT_SMTP_PORT"
  ready || return 3
}

component_main "$@"
