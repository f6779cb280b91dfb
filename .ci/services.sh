#!/usr/bin/env bash
# Ensure the services the test suite talks to are installed and running (idempotent).
#
# Usage: .ci/services.sh [python] [docker] [compose] [kittools] [redis] [postgres] [chromium] [node] [bases]
#        [sandbox]
# With no argument it ensures all of them. It prints one line per service: ok (already
# there), started, installed, or missing with the command that fixes it. It never fails
# the build by itself: a missing service makes its tests skip locally and fail under CI=true.
# It exports nothing; the Makefile gives the tests REDIS_URL, TEST_DATABASE_URL, CHROMIUM_PATH.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 2
ROOT=$PWD
PYTHON=${PYTHON:-python3.11}
REDIS_PORT=6390
PG_PORT=5432
CHROMIUM=/usr/bin/chromium
COMPOSE_PLUGIN=/usr/libexec/docker/cli-plugins/docker-compose

export DEBIAN_FRONTEND=noninteractive
APT_UPDATED=0

can_install() {
    [ "$(id -u)" = 0 ] && [ -r /etc/debian_version ] && command -v apt-get >/dev/null
}

report() {  # report SERVICE STATUS [DETAIL]
    printf '%-10s %s\n' "$1:" "${*:2}"
}

missing() {  # missing SERVICE HOW-TO-FIX
    report "$1" "MISSING: $2"
}

apt_install() {
    # One `apt-get update` per run, and only when something really has to be installed.
    # The lock timeout waits out another apt (unattended upgrades) instead of failing at once.
    local apt=(apt-get -qq -o DPkg::Lock::Timeout=300)
    if [ "$APT_UPDATED" = 0 ]; then
        "${apt[@]}" update >/dev/null || return 1
        APT_UPDATED=1
    fi
    "${apt[@]}" install -y --no-install-recommends "$@" >/dev/null
}

wait_for() {  # wait_for SECONDS COMMAND...
    local deadline=$((SECONDS + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.5
    done
}

ensure_python() {
    if command -v "$PYTHON" >/dev/null && "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
        report python ok
    elif can_install; then
        if apt_install python3.11 python3.11-venv; then
            report python installed
        else
            missing python "apt-get install python3.11 python3.11-venv failed"
        fi
    else
        missing python "sudo apt-get install python3.11 python3.11-venv"
    fi
}

ensure_docker() {
    local status=""
    if ! command -v dockerd >/dev/null; then
        if ! can_install; then
            missing docker "sudo apt-get install docker.io && sudo dockerd &"
            return
        fi
        apt_install docker.io || { missing docker "apt-get install docker.io failed"; return; }
        status=installed
    fi
    if docker info >/dev/null 2>&1; then
        report docker "${status:-ok}"
    elif [ "$(id -u)" != 0 ]; then
        if pgrep -x dockerd >/dev/null; then
            missing docker "dockerd runs but $(id -un) cannot reach it: sudo usermod -aG docker $(id -un)"
        else
            missing docker "start the engine: sudo dockerd > /tmp/dockerd.log 2>&1 &"
        fi
    elif pgrep -x dockerd >/dev/null; then
        # Already starting (the package's init script may have launched it): wait, don't race it.
        if wait_for 60 docker info; then
            report docker "${status:+$status, }started"
        else
            missing docker "a dockerd runs but does not answer; see its log (var/log/dockerd.log?)"
        fi
    else
        start_dockerd && report docker "${status:+$status, }started"
    fi
}

start_dockerd() {
    mkdir -p var/log
    # setsid + nohup: the engine outlives this script and the make that called it.
    setsid nohup dockerd >>"$ROOT/var/log/dockerd.log" 2>&1 </dev/null &
    local pid=$! deadline=$((SECONDS + 60))
    until docker info >/dev/null 2>&1; do
        if ! kill -0 "$pid" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
            tail -n 20 var/log/dockerd.log >&2
            missing docker "dockerd exited or did not answer within 60 s; see var/log/dockerd.log"
            return 1
        fi
        sleep 0.5
    done
}

redis_answers() {
    [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]
}

ensure_redis() {
    local status=""
    if ! command -v redis-server >/dev/null; then
        if ! can_install; then
            missing redis "sudo apt-get install redis-server"
            return
        fi
        apt_install redis-server || { missing redis "apt-get install redis-server failed"; return; }
        status=installed
    fi
    if ! redis_answers; then
        # Our own instance on its own port, so the system's Redis (if any) is left alone.
        mkdir -p var/redis var/log
        redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes \
            --dir "$ROOT/var/redis" --appendonly yes \
            --logfile "$ROOT/var/log/redis.log" --pidfile "$ROOT/var/redis/redis.pid" >/dev/null
        if ! wait_for 15 redis_answers; then
            missing redis "redis-server did not answer PING on port $REDIS_PORT; see var/log/redis.log"
            return
        fi
        status="${status:+$status, }started"
    fi
    report redis "${status:-ok}"
}

as_postgres() {
    # cd / so that psql does not complain about a home directory it cannot read.
    (cd / && runuser -u postgres -- "$@")
}

pg_sql() {
    as_postgres psql -X -q -t -A -v ON_ERROR_STOP=1 -p "$PG_PORT" -c "$1"
}

catalog_sql() {
    PGPASSWORD=catalog PGCONNECT_TIMEOUT=5 psql -X -q -t -A -h 127.0.0.1 -p "$PG_PORT" -U catalog \
        -d postgres -c "$1" 2>/dev/null
}

ensure_postgres() {
    local status="" version state
    if ! command -v pg_lsclusters >/dev/null; then
        if ! can_install; then
            missing postgres "sudo apt-get install postgresql && sudo pg_ctlcluster 15 main start"
            return
        fi
        apt_install postgresql || { missing postgres "apt-get install postgresql failed"; return; }
        status=installed
    fi
    if [ "$(id -u)" != 0 ]; then
        if pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; then
            report postgres "ok (not root: cannot check the catalog role and database)"
        else
            missing postgres "sudo pg_ctlcluster <version> main start, then run .ci/services.sh as root"
        fi
        return
    fi
    version=$(pg_lsclusters -h | awk '$2 == "main" {print $1; exit}')
    if [ -z "$version" ]; then
        version=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1)
        pg_createcluster "$version" main -p "$PG_PORT" >/dev/null \
            || { missing postgres "pg_createcluster $version main failed"; return; }
    fi
    state=$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $3 " " $4}')
    if [ "${state% *}" != "$PG_PORT" ]; then
        missing postgres "cluster $version/main listens on port ${state% *}, the tests expect $PG_PORT"
        return
    fi
    if [ "${state#* }" != online ]; then
        # Listen on loopback only, whatever postgresql.conf says.
        pg_ctlcluster "$version" main start -- -o "-c listen_addresses=127.0.0.1" >/dev/null \
            || { missing postgres "pg_ctlcluster $version main start failed; see /var/log/postgresql/"; return; }
        status="${status:+$status, }started"
    fi
    if ! wait_for 30 pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; then
        missing postgres "PostgreSQL $version does not accept connections on 127.0.0.1:$PG_PORT"
        return
    fi
    # Log in the way the tests do (password over TCP), so a wrong password is fixed too.
    if [ "$(catalog_sql "SELECT rolcreatedb FROM pg_roles WHERE rolname = current_user")" != t ]; then
        local verb=CREATE done=created
        if [ -n "$(pg_sql "SELECT 1 FROM pg_roles WHERE rolname = 'catalog'")" ]; then
            verb=ALTER done=updated
        fi
        pg_sql "$verb ROLE catalog LOGIN CREATEDB PASSWORD 'catalog'" \
            || { missing postgres "could not $verb ROLE catalog"; return; }
        status="${status:+$status, }role $done"
    fi
    if [ -z "$(pg_sql "SELECT 1 FROM pg_database WHERE datname = 'catalog'")" ]; then
        as_postgres createdb -p "$PG_PORT" -O catalog catalog \
            || { missing postgres "could not create the database catalog"; return; }
        status="${status:+$status, }database created"
    fi
    report postgres "${status:-ok}"
}

ensure_chromium() {
    if [ -x "$CHROMIUM" ]; then
        report chromium ok
    elif can_install; then
        # The fonts are what chromium-common only recommends; pages need them to lay out text.
        if apt_install chromium fonts-liberation fonts-dejavu-core; then
            report chromium installed
        else
            missing chromium "apt-get install chromium failed"
        fi
    else
        missing chromium "sudo apt-get install chromium fonts-liberation"
    fi
}

ensure_node() {
    # The suite's tools from npm (package.json: axe-core, which tests/test_accessibility.py puts into the
    # pages), installed by `npm ci` from the lock file, again whenever the lock is newer than the install.
    local status=""
    if ! command -v npm >/dev/null; then
        if ! can_install; then
            missing node "sudo apt-get install nodejs npm, then npm ci"
            return
        fi
        apt_install nodejs npm || { missing node "apt-get install nodejs npm failed"; return; }
        status=installed
    fi
    if [ -f node_modules/axe-core/axe.min.js ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
        report node "${status:-ok}"
    elif npm ci --no-audit --no-fund --loglevel=error >/dev/null; then
        report node "${status:+$status, }npm ci done"
    else
        missing node "npm ci failed; see its output above"
    fi
}

ensure_bases() {
    # The tools `manage.py provision_bases` builds the offline base images with, where no
    # registry answers: a static busybox (FROM scratch has no C library) and debootstrap.
    if [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 && command -v debootstrap >/dev/null; then
        report bases ok
    elif can_install; then
        if apt_install busybox-static debootstrap; then
            report bases "installed busybox-static, debootstrap"
        else
            missing bases "apt-get install busybox-static debootstrap failed"
        fi
    else
        missing bases "sudo apt-get install busybox-static debootstrap"
    fi
}

ensure_compose() {
    # The `docker compose` that examples' commands type. Debian 12's docker.io ships none and its
    # docker-compose package is the retired Compose v1; Debian 13's is Compose v2, a CLI plugin
    # that needs only libc6 >= 2.34. So on Debian 12 that one package is fetched from Debian 13
    # with apt lists kept in var/apt-trixie (the machine's sources stay as they are), then dpkg -i.
    if [ -x "$COMPOSE_PLUGIN" ]; then
        report compose ok
    elif ! can_install; then
        missing compose "sudo apt-get install docker-compose (Debian 13 or later: Compose v2)"
    elif [ "$(cut -d. -f1 /etc/debian_version)" -ge 13 ] 2>/dev/null; then
        apt_install docker-compose && report compose installed || missing compose "apt-get install docker-compose failed"
    else
        local dir="$ROOT/var/apt-trixie"
        local apt=(apt-get -qq -o "Dir::Etc::SourceList=$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
            -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache" -o APT::Sandbox::User=root)
        mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
        echo "deb http://deb.debian.org/debian trixie main" >"$dir/sources.list"
        if "${apt[@]}" update >/dev/null && (cd "$dir" && "${apt[@]}" download docker-compose >/dev/null) \
            && dpkg -i "$dir"/docker-compose_*.deb >/dev/null; then
            report compose "installed $("$COMPOSE_PLUGIN" version --short 2>/dev/null)"
        else
            missing compose "fetching docker-compose (v2) from Debian 13 failed; see above"
        fi
    fi
}

ensure_kittools() {
    # What the kit's tests use beside the engine: curl (attendees' commands and check.sh --report),
    # socat (kit-engine.sh reach), unshare and nsenter (util-linux), ip (iproute2).
    local wanted=() tool
    for tool in curl:curl socat:socat nsenter:util-linux ip:iproute2; do
        command -v "${tool%%:*}" >/dev/null || wanted+=("${tool#*:}")
    done
    if [ ${#wanted[@]} = 0 ]; then
        report kittools ok
    elif ! can_install; then
        missing kittools "sudo apt-get install ${wanted[*]}"
    else
        apt_install "${wanted[@]}" && report kittools "installed ${wanted[*]}" \
            || missing kittools "apt-get install ${wanted[*]} failed"
    fi
}

base_images() {
    # The images bases.yaml lists, read by its one reader (worker/bases/specs.py) in the project's venv.
    "$ROOT/.venv/bin/python" -c 'import sys; from worker.bases.specs import read_bases
print(*(spec.image for spec in read_bases(sys.argv[1])))' "${PATTERNS_DIR:-$ROOT/patterns}/bases.yaml"
}

ensure_sandbox() {
    # The sandboxed engine for untrusted submissions (.ci/sandbox-engine.sh: a second dockerd, gVisor's
    # runsc, no network) and the base images the main engine has, copied into it.
    local wanted=() tool status="" engine=.ci/sandbox-engine.sh images=() image said loaded=() absent=()
    for tool in runsc:runsc dockerd:docker.io nsenter:util-linux ip:iproute2; do
        command -v "${tool%%:*}" >/dev/null || wanted+=("${tool#*:}")
    done
    if [ ${#wanted[@]} != 0 ]; then
        if ! can_install; then
            missing sandbox "sudo apt-get install ${wanted[*]}, then sudo .ci/sandbox-engine.sh start"
            return
        fi
        apt_install "${wanted[@]}" || { missing sandbox "apt-get install ${wanted[*]} failed"; return; }
        status="installed ${wanted[*]}"
    fi
    if ! "$engine" status >/dev/null 2>&1; then
        if [ "$(id -u)" != 0 ]; then
            missing sandbox "$("$engine" status 2>&1 | sed 's/^sandbox-engine: //')"
            return
        fi
        "$engine" start >/dev/null || { missing sandbox "it did not start; see var/sandbox-engine/dockerd.log"; return; }
        status="${status:+$status, }started"
    fi
    if [ ! -x "$ROOT/.venv/bin/python" ]; then
        report sandbox "${status:-ok}; base images not loaded yet (no .venv: make venv bases)"
        return
    fi
    if ! docker info >/dev/null 2>&1; then
        missing sandbox "${status:+$status; }no base images copied: the main engine does not answer"
        return
    fi
    read -r -a images <<<"$(base_images)" || true
    if [ ${#images[@]} = 0 ]; then
        missing sandbox "${status:+$status; }could not read the base images from bases.yaml"
        return
    fi
    for image in "${images[@]}"; do
        if ! docker image inspect "$image" >/dev/null 2>&1; then
            absent+=("$image")  # not provisioned on the main engine yet: make bases, then this again
        elif ! said=$("$engine" load var/sandbox-engine "$image" 2>&1); then
            missing sandbox "${status:+$status; }${said#sandbox-engine: }"
            return
        elif [ "$said" = "$image: loaded" ]; then
            loaded+=("$image")
        fi
    done
    status="${status:-ok}${loaded[*]:+, loaded ${loaded[*]}}"
    if [ ${#absent[@]} != 0 ]; then
        report sandbox "$status; not on the main engine yet: ${absent[*]} (make bases)"
    else
        report sandbox "$status"
    fi
}

main() {
    local service
    if [ $# = 0 ]; then
        set -- python docker compose kittools redis postgres chromium node bases sandbox
    fi
    if ! can_install; then
        echo "Not root on Debian: this script reports what is missing instead of installing it."
    fi
    for service in "$@"; do
        case $service in
            python | docker | compose | kittools | redis | postgres | chromium | node | bases | sandbox)
                "ensure_$service"
                ;;
            *) echo "unknown service: $service" >&2 && exit 2 ;;
        esac
    done
}

main "$@"
