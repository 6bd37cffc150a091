#!/usr/bin/env bash
# infra/minio.sh {install|start|stop|status}
# MinIO built with `go install github.com/minio/minio@$MINIO_VERSION` into $SHOP_CACHE/bin,
# S3 API on 127.0.0.1:$MINIO_PORT, console on 127.0.0.1:$MINIO_CONSOLE_PORT,
# data in $SHOP_STATE/data/minio. Creates bucket $MINIO_BUCKET.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NAME=minio
M_BIN="$SHOP_CACHE/bin/minio"
M_DATA="$SHOP_STATE/data/minio"

install() {
  command -v curl >/dev/null || ensure_apt curl
  go_install "$NAME" github.com/minio/minio "$MINIO_VERSION"
  "$M_BIN" --version >/dev/null || die "$NAME: built binary does not run"
}

ready() { curl -fs -o /dev/null --max-time 3 "$MINIO_ENDPOINT/minio/health/ready"; }

# PUT /<bucket> signed with AWS SigV4 (curl --aws-sigv4): 200 = created, 409 = already ours.
ensure_bucket() {
  local code body
  body=$(mktemp)
  code=$(curl -s -o "$body" -w '%{http_code}' --max-time 10 \
    --aws-sigv4 "aws:amz:${MINIO_REGION}:s3" --user "$MINIO_ROOT_USER:$MINIO_ROOT_PASSWORD" \
    -X PUT "$MINIO_ENDPOINT/$MINIO_BUCKET") || code=000
  if [[ "$code" == 200 ]]; then
    log "$NAME: bucket $MINIO_BUCKET created"
  elif [[ "$code" == 409 ]] && grep -q BucketAlreadyOwnedByYou "$body"; then
    :
  elif grep -q XMinioServerNotInitialized "$body"; then
    # /minio/health/ready can answer before the object layer is up: not an error yet, asked again.
    rm -f "$body"
    return 1
  else
    cat "$body" >&2; rm -f "$body"
    die "$NAME: creating bucket $MINIO_BUCKET failed (HTTP $code)"
  fi
  rm -f "$body"
}

start() {
  install
  if ! pid_alive "$SHOP_PIDS/$NAME.pid"; then
    ensure_port_free "$NAME" "$MINIO_PORT"
    ensure_port_free "$NAME-console" "$MINIO_CONSOLE_PORT"
    mkdir -p "$M_DATA"
    # MINIO_ROOT_USER / MINIO_ROOT_PASSWORD are exported by defaults.env (kept out of the log line)
    start_bg "$NAME" env MINIO_UPDATE=off MINIO_BROWSER=on \
      "$M_BIN" server "$M_DATA" --quiet \
      --address "$MINIO_HOST:$MINIO_PORT" --console-address "$MINIO_HOST:$MINIO_CONSOLE_PORT"
  fi
  wait_cmd "${MINIO_START_TIMEOUT:-60}" "$NAME" ready
  local i
  for ((i = 0; i < 60; i++)); do ensure_bucket && break; sleep 0.5; done
  ((i < 60)) || die "$NAME: not initialized after 30 s (bucket $MINIO_BUCKET not created; log: $SHOP_LOGS/$NAME.log)"
  log "$NAME ready at $MINIO_ENDPOINT (bucket $MINIO_BUCKET)"
}

stop() { stop_pid "$NAME" 30; }

status() {
  port_status "$NAME" "$MINIO_PORT"
  ready || return 3
}

component_main "$@"
