# shellcheck shell=bash
# Shared helpers for the local (non-Docker) infrastructure scripts.
# Sourced by every infra/*.sh and by make.sh; safe under `set -euo pipefail`.
# Only defines variables and functions (plus creating the state directories).

INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO="$(cd "$INFRA_DIR/.." && pwd -P)"
export INFRA_DIR REPO

# shellcheck source=versions.env
. "$INFRA_DIR/versions.env"
# shellcheck source=defaults.env
. "$INFRA_DIR/defaults.env"

# Downloads/builds cache: outside the repo, shared by every clone.
: "${SHOP_CACHE:=${XDG_CACHE_HOME:-$HOME/.cache}/shop}"
# Runtime state (data, logs, pids): one per clone.
if [[ -z "${SHOP_STATE:-}" ]]; then
  if [[ $(id -u) -eq 0 ]]; then
    SHOP_STATE="/var/lib/shop/$(basename "$REPO")-$(printf '%s' "$REPO" | sha1sum | cut -c1-8)"
  else
    SHOP_STATE="$REPO/.run"
  fi
fi
SHOP_LOGS="$SHOP_STATE/logs"
SHOP_PIDS="$SHOP_STATE/pids"
export SHOP_CACHE SHOP_STATE SHOP_LOGS SHOP_PIDS

# 755 all the way down: the postgres and shop OS users must traverse into it.
(umask 022 && mkdir -p "$SHOP_CACHE" "$SHOP_STATE" "$SHOP_PIDS" "$SHOP_LOGS" "$SHOP_STATE/data")
chmod 755 "$SHOP_STATE" "$SHOP_STATE/data"

SHOP_IS_ROOT=0
[[ $(id -u) -eq 0 ]] && SHOP_IS_ROOT=1

log() { printf '[infra %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[infra %s] ERROR: %s\n' "$(date +%H:%M:%S)" "$*" >&2; exit 1; }

# tail_log name: last lines of a component's log, indented, to stderr.
tail_log() {
  local f="$SHOP_LOGS/$1.log"
  [[ -f "$f" ]] || return 0
  printf '  --- last lines of %s ---\n' "$f" >&2
  tail -n "${2:-25}" "$f" | sed 's/^/  | /' >&2
}

# tcp_open host port: true if something accepts TCP connections there.
tcp_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# wait_tcp host port timeout_s name
wait_tcp() {
  local host=$1 port=$2 timeout=$3 name=$4 end=$((SECONDS + $3))
  until tcp_open "$host" "$port"; do
    ((SECONDS < end)) || { tail_log "$name"; die "$name: nothing listens on $host:$port after ${timeout}s (log: $SHOP_LOGS/$name.log)"; }
    _check_still_running "$name"
    sleep 0.2
  done
}

# wait_cmd timeout_s name cmd...: retry cmd until it succeeds. Dies early when the
# component's pidfile exists but its process has exited.
wait_cmd() {
  local timeout=$1 name=$2; shift 2
  local end=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < end)) || { tail_log "$name"; die "$name not ready after ${timeout}s: '$*' kept failing (log: $SHOP_LOGS/$name.log)"; }
    _check_still_running "$name"
    sleep 0.5
  done
}

_check_still_running() {
  local pidf="$SHOP_PIDS/$1.pid"
  if [[ -f "$pidf" ]] && ! pid_alive "$pidf"; then
    tail_log "$1" 40
    rm -f "$pidf"
    die "$1 exited during start-up (log: $SHOP_LOGS/$1.log)"
  fi
}

# pid_alive pidfile: true if the file names a live (non-zombie) process.
pid_alive() {
  local f=$1 pid state
  [[ -s "$f" ]] || return 1
  pid=$(<"$f")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/stat" ]] || return 1
  state=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [[ -n "$state" && "$state" != Z ]]
}

# start_bg name cmd...: run cmd detached (own session), output appended to
# $SHOP_LOGS/name.log, pid in $SHOP_PIDS/name.pid. No-op when already running.
# The pid recorded is the pid of cmd itself (the wrapper execs it).
# redacted_args arg...: the command line for a log, with secrets hidden: the values of NAME=value arguments whose
# name says SECRET, PASSWORD, KEY or TOKEN, and passwords inside URLs (scheme://user:password@host).
redacted_args() {
  local out=() a
  for a in "$@"; do
    local name=""
    [[ "$a" =~ ^([A-Za-z_][A-Za-z0-9_]*)= ]] && name=${BASH_REMATCH[1]}
    if [[ -n "$name" && "${name^^}" =~ (SECRET|PASSWORD|KEY|TOKEN) ]]; then
      a="$name=[redacted]"
    elif [[ "$a" =~ ^(.*://[^:/@]+:)[^@]*(@.*)$ ]]; then
      a="${BASH_REMATCH[1]}[redacted]${BASH_REMATCH[2]}"
    fi
    out+=("$a")
  done
  printf '%s' "${out[*]}"
}

start_bg() {
  local name=$1; shift
  local pidf="$SHOP_PIDS/$name.pid" logf="$SHOP_LOGS/$name.log" i
  if pid_alive "$pidf"; then
    log "$name already running (pid $(<"$pidf"))"
    return 0
  fi
  rm -f "$pidf"
  printf '\n===== %s starting at %s: %s\n' "$name" "$(date '+%F %T')" "$(redacted_args "$@")" >>"$logf"
  # shellcheck disable=SC2016
  nohup setsid bash -c 'echo $$ >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' "$pidf" "$@" >>"$logf" 2>&1 </dev/null &
  for ((i = 0; i < 50; i++)); do [[ -s "$pidf" ]] && break; sleep 0.1; done
  [[ -s "$pidf" ]] || die "$name: could not start (no pid written; log: $logf)"
  log "$name started (pid $(<"$pidf"), log $logf)"
}

# stop_pid name [timeout_s=30]: SIGTERM the process in $SHOP_PIDS/name.pid, wait,
# SIGKILL (its own process group, which start_bg created) after the timeout.
stop_pid() {
  local name=$1 timeout=${2:-30} pidf="$SHOP_PIDS/$1.pid" pid end
  if ! pid_alive "$pidf"; then
    rm -f "$pidf"
    log "$name not running"
    return 0
  fi
  pid=$(<"$pidf")
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  end=$((SECONDS + timeout))
  while pid_alive "$pidf" && ((SECONDS < end)); do sleep 0.2; done
  if pid_alive "$pidf"; then
    log "$name did not stop in ${timeout}s: SIGKILL"
    if [[ "$(ps -o pgid= -p "$pid" | tr -d ' ')" == "$pid" ]]; then
      kill -KILL -- "-$pid" 2>/dev/null || true
    else
      kill -KILL "$pid" 2>/dev/null || true
    fi
    while pid_alive "$pidf"; do sleep 0.1; done
  fi
  rm -f "$pidf"
}

# port_status name port [host]: one line "name  up|down  port".
port_status() {
  local state=down
  tcp_open "${3:-127.0.0.1}" "$2" && state=up
  printf '%-14s %-5s %s\n' "$1" "$state" "$2"
}

# port_owner port: what listens on a TCP port (from ss), empty if nothing.
port_owner() {
  ss -Hltnp "sport = :$1" 2>/dev/null | awk 'NR <= 3 {print $4, $6}' || true
}

# ensure_port_free name port: die clearly if the port is taken by something else.
ensure_port_free() {
  local name=$1 port=$2 owner
  tcp_open 127.0.0.1 "$port" || return 0
  owner=$(port_owner "$port")
  die "$name: port $port is already in use by a process these scripts did not start: ${owner:-unknown}. Stop it (e.g. 'service <name> stop' for a Debian service) or choose another port via the environment."
}

# ensure_apt pkg...: install missing Debian packages (apt-get update at most once
# per invocation, and only when something is missing). Services the packages would
# auto-start are suppressed during the install (policy-rc.d), since we run our own.
ensure_apt() {
  local missing=() p
  local st
  for p in "$@"; do
    # (no `dpkg -s | grep -q` pipe: grep -q's early exit + pipefail = false "missing")
    st=$(dpkg -s "$p" 2>/dev/null || true)
    [[ "$st" == *$'\nStatus: install ok installed'* ]] || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  ((SHOP_IS_ROOT)) || die "missing Debian packages: ${missing[*]} (run as root: apt-get install -y ${missing[*]})"
  if [[ -z "${SHOP_APT_UPDATED:-}" ]]; then
    log "apt-get update"
    apt-get update -qq >&2
    SHOP_APT_UPDATED=1
    export SHOP_APT_UPDATED
  fi
  log "apt-get install ${missing[*]}"
  local policy=/usr/sbin/policy-rc.d made_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && made_policy=1
  fi
  local rc=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 || rc=$?
  ((made_policy)) && rm -f "$policy"
  ((rc == 0)) || die "apt-get install ${missing[*]} failed"
}

# go_install name module version: `go install module@version` into $SHOP_CACHE/bin (kept while the built
# binary reports that version; the build log in $SHOP_LOGS/<name>-install.log).
go_install() {
  local name=$1 module=$2 version=$3 bin="$SHOP_CACHE/bin/${2##*/}"
  if [[ -x "$bin" ]] && [[ "$(go version -m "$bin" 2>/dev/null | awk -v m="$module" '$1 == "mod" && $2 == m {print $3}')" == "$version" ]]; then
    return 0
  fi
  command -v go >/dev/null || die "$name: the Go toolchain is needed (go install $module@$version)"
  log "$name: go install $module@$version (first build takes minutes; cached afterwards)"
  mkdir -p "$SHOP_CACHE/bin"
  GOBIN="$SHOP_CACHE/bin" GOFLAGS="${GOFLAGS:-} -buildvcs=false" go install "$module@$version" >"$SHOP_LOGS/$name-install.log" 2>&1 \
    || { tail -n 30 "$SHOP_LOGS/$name-install.log" >&2; die "$name: go install failed (log: $SHOP_LOGS/$name-install.log)"; }
}

# ensure_user name: a non-root system user (Elasticsearch refuses to run as root).
ensure_user() {
  local u=$1
  id -u "$u" >/dev/null 2>&1 && return 0
  ((SHOP_IS_ROOT)) || die "user $u is missing and we are not root"
  log "creating system user $u"
  useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$u"
}

# as_user user cmd...: run cmd as user when root (exec-style, no extra parent
# process: the pid stays the same), otherwise as the current user.
as_user() {
  local u=$1; shift
  if ((SHOP_IS_ROOT)) && [[ "$u" != root ]]; then
    setpriv --reuid="$u" --regid="$u" --init-groups -- "$@"
  else
    "$@"
  fi
}

_mvn_pom() { # dir dependency-xml
  mkdir -p "$1"
  cat >"$1/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- generated by infra/lib.sh (mvn_fetch); only used to download artifacts -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.shop.infra</groupId>
  <artifactId>fetch-$(basename "$1")</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
$2
  </dependencies>
  <build><pluginManagement><plugins><plugin>
    <groupId>org.apache.maven.plugins</groupId>
    <artifactId>maven-dependency-plugin</artifactId>
    <version>${MAVEN_DEPENDENCY_PLUGIN_VERSION}</version>
  </plugin></plugins></pluginManagement></build>
</project>
EOF
}

# mvn_fetch jars <dest_dir> group:artifact:version...
#   copies the artifacts and all their runtime dependencies (jars) into dest_dir.
# mvn_fetch file <dest_dir> group:artifact:version:type
#   copies one artifact (e.g. a zip) into dest_dir.
# Both are cached: a stamp file in dest_dir makes the next call a no-op (no network).
mvn_fetch() {
  local mode=$1 dest=$2; shift 2
  local stamp="$dest/.fetched" key="$mode $*"
  if [[ -f "$stamp" && "$(<"$stamp")" == "$key" ]]; then return 0; fi
  command -v mvn >/dev/null || ensure_apt maven
  local work deps="" c g a v
  work="$SHOP_CACHE/mvn/$(basename "$dest")"
  case "$mode" in
    jars)
      for c in "$@"; do
        IFS=: read -r g a v <<<"$c"
        deps+="    <dependency><groupId>$g</groupId><artifactId>$a</artifactId><version>$v</version></dependency>"$'\n'
      done
      _mvn_pom "$work" "$deps"
      rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
      log "mvn: fetching $* (with dependencies)"
      mvn -q -B -f "$work/pom.xml" dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$dest.tmp" >"$work/mvn.log" 2>&1 \
        || { cat "$work/mvn.log" >&2; die "mvn dependency:copy-dependencies failed (log $work/mvn.log)"; }
      ;;
    file)
      _mvn_pom "$work" ""
      rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
      log "mvn: fetching $1"
      mvn -q -B -f "$work/pom.xml" dependency:copy -Dartifact="$1" \
        -DoutputDirectory="$dest.tmp" >"$work/mvn.log" 2>&1 \
        || { cat "$work/mvn.log" >&2; die "mvn dependency:copy $1 failed (log $work/mvn.log)"; }
      ;;
    *) die "mvn_fetch: unknown mode $mode" ;;
  esac
  printf '%s' "$key" >"$dest.tmp/.fetched"
  rm -rf "$dest" && mv "$dest.tmp" "$dest"
}

# run_component_cmd usage-string action: common dispatcher tail.
usage_die() { die "usage: $(basename "$0") {install|start|stop|status}"; }

# component_main "$@": the last line of every component script; runs the function it names.
component_main() {
  case "${1:-}" in
    install | start | stop | status) "$1" ;;
    *) usage_die ;;
  esac
}
