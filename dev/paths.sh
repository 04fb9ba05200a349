# dev/paths.sh — sourced (not run) by dev/stack.sh and dev/platform.sh: where the local state lives,
# how the scripts speak, and who holds a port they need. The caller sets SCRIPT, its name in
# messages, before sourcing.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE=$ROOT/.state
RUN=$STATE/run
LOGS=$STATE/logs

log() { printf '%s: %s\n' "$SCRIPT" "$*"; }
warn() { printf '%s: warning: %s\n' "$SCRIPT" "$*" >&2; }
die() { printf '%s: error: %s\n' "$SCRIPT" "$*" >&2; exit 1; }

# port_holder PORT: who listens on 127.0.0.1:PORT, or on every address (/proc/net/tcp and tcp6):
# "pid N (its command line)", "a process not visible from here", or nothing when the port is
# free. A listening socket, not a bind attempt: Python servers (eventlet) set SO_REUSEPORT, so a
# second one binds beside the first and the kernel splits the connections between the two.
port_holder() {
    local inode fd pid command
    # addresses (hex; IPv4 little-endian) 127.0.0.1, 0.0.0.0, ::, ::ffff:127.0.0.1; state 0A: LISTEN
    for inode in $(awk -v port="$(printf '%04X' "$1")" 'BEGIN {
            split("0100007F 00000000 00000000000000000000000000000000 " \
                  "0000000000000000FFFF00000100007F", list); for (i in list) ours[list[i]] }
        $4 == "0A" { split($2, local, ":"); if (local[2] == port && (local[1] in ours)) print $10 }' \
            /proc/net/tcp /proc/net/tcp6 2>/dev/null); do
        # (|| true: a process that ends during the scan, or one not ours to read, is no error)
        fd=$(find /proc/[0-9]*/fd -maxdepth 1 -lname "socket:\[$inode\]" -print -quit \
            2>/dev/null) || true
        if [[ -z $fd ]]; then
            echo "a process not visible from here (another user's, or another container's)"
            return 0
        fi
        pid=${fd#/proc/}; pid=${pid%%/*}
        command=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-160) || true
        echo "pid $pid (${command% })"
        return 0
    done
}

# require_free_port PORT WHAT HINT: die, naming the process, when something listens on PORT
require_free_port() {
    local holder
    holder=$(port_holder "$1")
    [[ -z $holder ]] || die "port 127.0.0.1:$1 ($2) is already in use by $holder; $3"
}
