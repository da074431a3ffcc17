#!/usr/bin/env bash
# For another project's CI: starts a virtual PC/SC reader holding mynaconf's emulated My Number card, and stops it.
# Needs the Debian packages pcscd, vsmartcard-vpcd, python3-pyscard and an installed mynaconf (`make install`).
#
#   ci/start-virtual-card.sh start   prints KEY=value lines; append them to $GITHUB_ENV (or eval them)
#   ci/start-virtual-card.sh stop    stops the card and pcscd, by the PIDs `start` recorded
#
# start prints:
#   PCSCLITE_CSOCK_NAME      the socket every PC/SC program of the job must use (libpcsclite reads it)
#   MYNACONF_READER          the reader's name, e.g. "Virtual PCD 00 00"
#   MYNACONF_VPCD_PORT       vpcd's port (slot 0)
#   MYNACONF_PCSCD_PID, MYNACONF_EMULATOR_PID
#
# Settings (environment):
#   MYNACONF            the mynaconf binary (default: the one beside this script, else mynaconf on PATH)
#   MYNACONF_CARD       card profile name or path (default: default); MYNACONF_INTERFACE contact|contactless;
#                       MYNACONF_SPEED instant|real
#   MYNACONF_STATE_DIR  where PIDs and logs go (default: $RUNNER_TEMP or /tmp, /mynaconf-virtual-card)
#   MYNACONF_VIRTUAL_READER  the pcscd starter (default: mynaconf-virtual-reader beside this script or on
#                       PATH, else scripts/virtual-reader of the source tree)
# Exit codes: 0 done, 2 usage error, 3 environment error (with the logs printed).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# Installed (`make install`), this script sits in PREFIX/bin beside mynaconf and mynaconf-virtual-reader.
first_executable() {
    local candidate
    for candidate in "$@"; do [[ -n $candidate && -x $candidate ]] && { echo "$candidate"; return; }; done
    echo "${1:-}"
}
mynaconf=${MYNACONF:-$(first_executable "$here/mynaconf" "$(command -v mynaconf || true)")}
state=${MYNACONF_STATE_DIR:-${RUNNER_TEMP:-/tmp}/mynaconf-virtual-card}
reader_script=${MYNACONF_VIRTUAL_READER:-$(first_executable "$here/mynaconf-virtual-reader" \
    "$(command -v mynaconf-virtual-reader || true)" "$here/../scripts/virtual-reader")}

fail() {
    echo "start-virtual-card: $*" >&2
    exit 3
}

stop() {
    if [[ -f "$state/emulate.pid" ]]; then
        local pid
        pid=$(cat "$state/emulate.pid")
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid"
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
        fi
        rm -f "$state/emulate.pid"
    fi
    if [[ -f "$state/reader/pcscd.pid" ]]; then
        "$reader_script" stop --dir "$state/reader"
    fi
}

start() {
    [[ -x "$mynaconf" ]] || fail "no mynaconf binary (set MYNACONF, or put it on PATH with 'make install')"
    [[ -x "$reader_script" ]] || fail "no pcscd starter at $reader_script (set MYNACONF_VIRTUAL_READER)"
    mkdir -p "$state"
    [[ -f "$state/emulate.pid" ]] && kill -0 "$(cat "$state/emulate.pid")" 2>/dev/null &&
        fail "a virtual card from $state is still running; run '$0 stop' first"

    "$reader_script" start --dir "$state/reader" >"$state/reader.env" || exit $?
    local socket port pcscd
    socket=$(sed -n 's/^PCSCLITE_CSOCK_NAME=//p' "$state/reader.env")
    port=$(sed -n 's/^MYNACONF_VPCD_PORT=//p' "$state/reader.env")
    pcscd=$(sed -n 's/^MYNACONF_PCSCD_PID=//p' "$state/reader.env")

    (
        # The card outlives this script: it must not hold the caller's descriptors (a caller waiting for EOF on
        # a pipe would wait for the card).
        for fd in /proc/$BASHPID/fd/*; do
            fd=${fd##*/}
            ((fd > 2)) && eval "exec $fd>&-" 2>/dev/null
        done
        PCSCLITE_CSOCK_NAME=$socket exec "$mynaconf" emulate --port "$port" --card "${MYNACONF_CARD:-default}" \
            --interface "${MYNACONF_INTERFACE:-contact}" --speed "${MYNACONF_SPEED:-instant}"
    ) >"$state/emulate.log" 2>&1 </dev/null &
    echo $! >"$state/emulate.pid"
    for _ in $(seq 200); do
        grep -q '^ready ' "$state/emulate.log" && break
        kill -0 "$(cat "$state/emulate.pid")" 2>/dev/null || break
        sleep 0.05
    done
    if ! grep -q '^ready ' "$state/emulate.log"; then
        echo "mynaconf emulate did not become ready; its output:" >&2
        cat "$state/emulate.log" >&2
        stop
        exit 3
    fi
    local reader=""
    for _ in $(seq 40); do
        reader=$(PCSCLITE_CSOCK_NAME=$socket "$mynaconf" readers | sed -n 's/^  \(.* 00 00\): card present.*/\1/p')
        [[ -n "$reader" ]] && break
        sleep 0.05
    done
    [[ -n "$reader" ]] || { stop; fail "pcscd does not show the card (socket $socket)"; }
    echo "PCSCLITE_CSOCK_NAME=$socket"
    echo "MYNACONF_READER=$reader"
    echo "MYNACONF_VPCD_PORT=$port"
    echo "MYNACONF_PCSCD_PID=$pcscd"
    echo "MYNACONF_EMULATOR_PID=$(cat "$state/emulate.pid")"
}

case ${1:-} in
start) start ;;
stop) stop ;;
*)
    sed -n '5,6p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
