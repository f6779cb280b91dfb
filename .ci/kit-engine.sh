#!/bin/sh
# A second Docker engine that stands in for an attendee's machine: its own data root (so no images
# until a kit loads them), its own network namespace (its docker0 and published ports never touch the
# host's engine: ../shared/notes/contributions.md says why a second dockerd must not share one) and
# its own /run, so that a container mounting /var/run/docker.sock reaches this engine, not the host's.
#
#   .ci/kit-engine.sh start DIR          start it; its socket is DIR/docker.sock
#   .ci/kit-engine.sh run DIR COMMAND…   run a command inside its namespaces (ports, the socket)
#   .ci/kit-engine.sh reach DIR PORT     let its network reach the host's 127.0.0.1:PORT (the site)
#   .ci/kit-engine.sh stop DIR           stop it and delete its data
#
# `reach` is for `check.sh --report` on the machine that serves the site: the engine's namespace has a
# loopback of its own, so 127.0.0.1:PORT there is carried over a unix socket (socat) to the host's.
# Needs root, dockerd, and util-linux's unshare and nsenter. `nsenter`, not `ip netns exec`: the
# latter mounts a fresh /sys that hides the cgroup mounts dockerd needs.
set -eu

usage() {
    sed -n 's/^#   //p' "$0" >&2
    exit 2
}
[ $# -ge 2 ] || usage
action=$1
dir=$2
shift 2

engine_pid() {
    pid=$(cat "$dir/engine.pid" 2>/dev/null) || return 1
    kill -0 "$pid" 2>/dev/null && echo "$pid"
}

case "$action" in
start)
    if engine_pid >/dev/null; then
        echo "kit-engine: already running for $dir" >&2
        exit 0
    fi
    for tool in dockerd unshare nsenter ip; do
        command -v "$tool" >/dev/null || { echo "kit-engine: $tool is missing (apt-get install docker.io util-linux iproute2)" >&2; exit 1; }
    done
    mkdir -p "$dir/data"
    dir=$(cd "$dir" && pwd)
    rm -f "$dir/docker.sock" "$dir/engine.pid"
    # The shell's own pid becomes dockerd's (exec), which is what `run` enters.
    unshare --net --mount --propagation private --fork sh -c "
        echo \$\$ > '$dir/engine.pid'
        mount -t tmpfs -o mode=755 kit-engine-run /run
        ip link set lo up
        exec dockerd --data-root '$dir/data' --pidfile /run/docker.pid \
            -H unix:///run/docker.sock -H 'unix://$dir/docker.sock'
    " >"$dir/dockerd.log" 2>&1 &
    waited=0
    until docker -H "unix://$dir/docker.sock" version >/dev/null 2>&1; do
        waited=$((waited + 1))
        # Its pid file comes a moment after the start; once there, a pid that is gone is a dockerd that died.
        if [ "$waited" -gt 60 ] || { [ -s "$dir/engine.pid" ] && ! engine_pid >/dev/null; }; then
            echo "kit-engine: dockerd exited or did not answer within 60 s; its log ends:" >&2
            tail -n 20 "$dir/dockerd.log" >&2
            exit 1
        fi
        sleep 1
    done
    echo "unix://$dir/docker.sock"
    ;;
run)
    [ $# -ge 1 ] || usage
    pid=$(engine_pid) || { echo "kit-engine: not running for $dir (start it first)" >&2; exit 1; }
    exec nsenter --target "$pid" --net --mount --wd="$(pwd)" -- env -u DOCKER_HOST -u DOCKER_CONTEXT "$@"
    ;;
reach)
    [ $# -eq 1 ] || usage
    port=$1
    pid=$(engine_pid) || { echo "kit-engine: not running for $dir (start it first)" >&2; exit 1; }
    if ! command -v socat >/dev/null; then
        { apt-get install -y -qq socat || { apt-get update -qq && apt-get install -y -qq socat; }; } >/dev/null 2>&1 || { echo "kit-engine: socat is missing (apt-get install socat)" >&2; exit 1; }
    fi
    socket="$dir/reach-$port.sock"
    rm -f "$socket"
    socat "UNIX-LISTEN:$socket,fork,mode=600" "TCP:127.0.0.1:$port" >/dev/null 2>&1 &
    echo $! >>"$dir/reach.pids"
    waited=0
    until [ -S "$socket" ]; do
        waited=$((waited + 1))
        [ "$waited" -lt 50 ] || { echo "kit-engine: socat did not listen on $socket" >&2; exit 1; }
        sleep 0.1
    done
    nsenter --target "$pid" --net -- \
        socat "TCP-LISTEN:$port,bind=127.0.0.1,fork,reuseaddr" "UNIX-CONNECT:$socket" >/dev/null 2>&1 &
    echo $! >>"$dir/reach.pids"
    ;;
stop)
    for forwarder in $(cat "$dir/reach.pids" 2>/dev/null); do
        kill "$forwarder" 2>/dev/null || true
    done
    rm -f "$dir/reach.pids" "$dir"/reach-*.sock
    if pid=$(engine_pid); then
        kill -TERM "$pid"
        waited=0
        while kill -0 "$pid" 2>/dev/null; do
            waited=$((waited + 1))
            [ "$waited" -lt 30 ] || { kill -KILL "$pid" 2>/dev/null || true; break; }
            sleep 1
        done
    fi
    # Its mounts lived in its own mount namespace, gone with it: the data is plain files now.
    rm -rf "$dir/data" "$dir/docker.sock" "$dir/engine.pid"
    ;;
*) usage ;;
esac
