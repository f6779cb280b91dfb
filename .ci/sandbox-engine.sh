#!/bin/sh
# The sandboxed engine for untrusted submissions (issue 14): a second dockerd whose default runtime is
# gVisor's runsc with no network, with its own data root (images, build cache), exec root and socket, so
# untrusted work never shares a build cache, an image store or a kernel surface with curated work.
#
#   .ci/sandbox-engine.sh start [DIR]          start it unless it answers; prints its DOCKER_HOST
#   .ci/sandbox-engine.sh status [DIR]         exit 0 if it answers with runsc as its runtime, else say why
#   .ci/sandbox-engine.sh stop [DIR]           stop it and end every process it left (its images stay)
#   .ci/sandbox-engine.sh load DIR IMAGE...    copy images from the main engine into it
#
# DIR defaults to var/sandbox-engine in this checkout; the socket is DIR/docker.sock (SANDBOX_DOCKER_HOST).
# What two checkouts on one machine would otherwise share (the network namespace, the exec root under /run)
# is named after a hash of DIR. Why it is started this way (../shared/notes/contributions.md has the trials):
# - in a network namespace of its own: a dockerd with `--bridge none` deletes docker0 from the namespace it
#  starts in, which in the host's is the main engine's bridge; an empty namespace also routes nowhere.
# - `nsenter --net`, not `ip netns exec`: the latter mounts a fresh /sys that hides the cgroup v1 mounts.
# - in a private mount namespace: the mounts of its containers never show in the host's and go with it.
# - runsc --network=none: gVisor alone does not stop a RUN step from sending data out.
# - `stop` ends the shims and runsc-sandbox/runsc-gofer processes a failed runsc start or a killed dockerd
#  leaves running: they are found by the exec root named in their command lines.
# Needs root, dockerd (docker.io), runsc, util-linux (nsenter, unshare, flock, setsid) and iproute2.
set -eu

usage() {
    sed -n 's/^#   //p' "$0" >&2
    exit 2
}
say() {
    echo "sandbox-engine: $*" >&2
}
die() {
    say "$@"
    exit 1
}

[ $# -ge 1 ] || usage
action=$1
shift
case "$action" in
load)
    [ $# -ge 2 ] || usage
    dir=$1
    shift
    ;;
start | stop | status)
    [ $# -le 1 ] || usage
    dir=${1:-$(dirname "$0")/../var/sandbox-engine}
    ;;
*) usage ;;
esac

dir=$(realpath -m "$dir")
id=$(printf '%s' "$dir" | sha256sum | cut -c1-10)
netns=catalog-sb-$id
exec_root=/run/catalog-sb-$id
socket=$dir/docker.sock
host=unix://$socket
# A unix socket's path holds at most 107 bytes; dockerd would fail later with a less helpful message.
[ "${#socket}" -le 100 ] || die "$socket is too long for a unix socket (${#socket} characters, at most 100): choose a shorter DIR"

sandbox() {
    docker -H "$host" "$@"
}

answers() {
    sandbox version --format '{{.Server.Version}}' >/dev/null 2>&1
}

alive() {  # a process that runs: a zombie waiting for its parent to reap it has already ended
    state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1) && [ -n "$state" ] && [ "$state" != Z ]
}

engine_pid() {
    # The command name too: after a reboot the pid in a stale file may be anyone's.
    pid=$(cat "$dir/docker.pid" 2>/dev/null) && alive "$pid" \
        && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ] && echo "$pid"
}

runtime_problem() {  # prints why untrusted work must not run there; nothing when runsc is the default
    runtime=$(sandbox info --format '{{.DefaultRuntime}}' 2>/dev/null) || { echo "it stopped answering"; return; }
    [ "$runtime" = runsc ] || echo "its default runtime is $runtime, not gVisor's runsc"
}

leftovers() {  # pids whose command line names the exec root: containerd, its shims, runsc's processes
    # The [/] keeps grep from matching its own command line, which holds the pattern with brackets.
    grep -laE "${exec_root}[/]" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3 || true
}

end_leftovers() {
    pids=$(leftovers)
    [ -n "$pids" ] || return 0
    # shellcheck disable=SC2086  # one word per pid
    kill -KILL $pids 2>/dev/null || true
    waited=0
    while [ -n "$(leftovers)" ]; do
        waited=$((waited + 1))
        [ "$waited" -lt 50 ] || die "processes of $dir survived SIGKILL: $(leftovers | tr '\n' ' ')"
        sleep 0.1
    done
}

write_config() {
    cat >"$dir/daemon.json" <<EOF
{
  "runtimes": {"runsc": {"path": "$(command -v runsc)", "runtimeArgs": ["--platform=ptrace", "--network=none"]}},
  "default-runtime": "runsc",
  "iptables": false
}
EOF
}

start() {
    [ "$(id -u)" = 0 ] || die "needs root (it starts a dockerd in network and mount namespaces of its own)"
    for tool in dockerd:docker.io runsc:runsc nsenter:util-linux unshare:util-linux flock:util-linux \
        setsid:util-linux ip:iproute2; do
        command -v "${tool%%:*}" >/dev/null || die "${tool%%:*} is missing (apt-get install ${tool#*:})"
    done
    mkdir -p "$dir/data"
    # One start at a time per DIR (make test beside make run); the lock goes with this script, not dockerd.
    exec 9>"$dir/start.lock"
    flock 9
    if ! answers; then
        if pid=$(engine_pid); then
            die "its dockerd (pid $pid) runs but does not answer on $socket; see $dir/dockerd.log, or stop it first"
        fi
        # What a dockerd killed earlier left must not hold the exec root the new one is given.
        end_leftovers
        rm -rf "$exec_root"
        rm -f "$socket" "$dir/docker.pid"
        [ -e "/run/netns/$netns" ] || ip netns add "$netns"
        ip -n "$netns" link set lo up
        write_config
        # setsid: it outlives this script and the make that ran it, and Ctrl-C in make's terminal.
        setsid nsenter --net="/run/netns/$netns" unshare --mount --propagation private \
            dockerd --config-file "$dir/daemon.json" --data-root "$dir/data" --exec-root "$exec_root" \
            --pidfile "$dir/docker.pid" -H "$host" --bridge none \
            >>"$dir/dockerd.log" 2>&1 </dev/null 9>&- &
        started=$!
        waited=0
        until answers; do
            waited=$((waited + 1))
            if [ "$waited" -gt 600 ] || ! alive "$started"; then
                say "dockerd exited or did not answer within 60 s; its log ends:"
                tail -n 20 "$dir/dockerd.log" >&2
                exit 1
            fi
            sleep 0.1
        done
    fi
    problem=$(runtime_problem)
    [ -z "$problem" ] || die "the engine on $socket answers but $problem; stop it and start it again"
    echo "$host"
}

stop() {
    if [ -d "$dir" ]; then
        exec 9>"$dir/start.lock"
        flock 9
    fi
    if pid=$(engine_pid); then
        # SIGTERM: dockerd stops its containers (up to 15 s each), then containerd, then itself.
        kill -TERM "$pid"
        waited=0
        while alive "$pid"; do
            waited=$((waited + 1))
            [ "$waited" -lt 300 ] || { kill -KILL "$pid" 2>/dev/null || true; break; }
            sleep 0.1
        done
    fi
    end_leftovers
    ip netns delete "$netns" 2>/dev/null || true
    rm -rf "$exec_root"
    rm -f "$socket" "$dir/docker.pid"
}

status() {
    if ! answers; then
        if [ -S "$socket" ] && [ ! -w "$socket" ]; then
            die "$(id -un) cannot use $socket: sudo usermod -aG docker $(id -un), or run this as root"
        fi
        if pid=$(engine_pid); then
            die "its dockerd (pid $pid) runs but does not answer on $socket; see $dir/dockerd.log"
        fi
        die "not running for $dir (start it: sudo .ci/sandbox-engine.sh start${1:+ $dir})"
    fi
    problem=$(runtime_problem)
    [ -z "$problem" ] || die "the engine on $socket answers but $problem"
    echo "$host: answers, default runtime runsc"
}

load() {
    answers || die "not running for $dir (start it first)"
    for image in "$@"; do
        wanted=$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null) \
            || die "the main engine has no image $image"
        if [ "$(sandbox image inspect --format '{{.Id}}' "$image" 2>/dev/null)" = "$wanted" ]; then
            echo "$image: already there"
            continue
        fi
        docker save "$image" | sandbox load --quiet >/dev/null
        # sh has no pipefail: what arrived is the check that docker save did its part.
        [ "$(sandbox image inspect --format '{{.Id}}' "$image" 2>/dev/null)" = "$wanted" ] \
            || die "$image did not arrive whole (docker save $image | docker -H $host load)"
        echo "$image: loaded"
    done
}

case "$action" in
start) start ;;
stop) stop ;;
status) status "${1:-}" ;;
load) load "$@" ;;
esac
