#!/usr/bin/env bash
# dev/platform.sh — the Agora processes on top of the local stack (dev/stack.sh): every service and
# the gateway, each `agora run <name>` in the background, plus demo data.
#
#   dev/platform.sh up       keys (.state/keys), `agora migrate`, start what is not running, wait for
#                            every /readyz, `agora seed-demo` (idempotent), print URL and logins
#   dev/platform.sh down     stop what `up` started (SIGTERM, wait, then SIGKILL)
#   dev/platform.sh status   what runs, where, ready or not
#   dev/platform.sh demo-credential   the LOCAL demo bank-system credential (made once)
#
# Processes are those whose code exists (`services.shared.config.available_processes()`): a service
# joins as soon as its config.yaml lands. Pid files: .state/run/agora-<name>.pid; logs:
# .state/logs/<name>.log. Ports, all on 127.0.0.1: the gateway GATEWAY_PORT (8000), the services
# AGORA_SERVICE_PORT_BASE (8100) + 1.. (identity 8101 .. conversations 8106: docs/architecture.md),
# the mail sink AGORA_MAIL_PORT (2525). `up` refuses to start a process on a port another process
# listens on, and names it (a second platform on this machine sets those three knobs, and
# dev/stack.sh's AGORA_RABBIT_PORT, AGORA_RABBIT_MGMT_PORT, AGORA_MONGO_PORT). While a process
# runs, `status` and `up` use the port it was started on (in its environment), whatever the
# environment says now. AGORA_WEB_URL (the site in e-mails' links) is this gateway's unless set.
# The environment (AMQP_URI, MONGO_URI, ...) comes from
# .state/stack.env (`make up` loads it); AGORA_PLATFORM_TIMEOUT (90 s) bounds each readiness wait.
# AGORA_SKIP_SEED=1 skips the demo data. Each process connects to RabbitMQ as its own
# least-privileged user (made through the management API; AGORA_BROKER_USERS=0 turns it off). Without SMTP_HOST, a local mail sink (port AGORA_MAIL_PORT,
# 2525) receives what notifications sends: every e-mail lands as a file in .state/mail/.
# Without AGORA_SERVICE_CREDENTIALS, a LOCAL demo bank-system credential (`demo-bank:<random>`,
# made once into .state/keys/demo-service-key, git-ignored) lets you try the social intake; the
# gateway gets only its SHA-256. It exists on this machine only: k8s/ never carries one.
set -euo pipefail

SCRIPT=platform
source "$(dirname "${BASH_SOURCE[0]}")/paths.sh" # ROOT, STATE, RUN, LOGS; log, warn, die, require_free_port
KEYS=${AGORA_KEYS_DIR:-$STATE/keys}
DEMO_SERVICE=demo-bank
export PYTHONWARNINGS=${PYTHONWARNINGS:-ignore}  # eventlet's deprecation banner on every CLI call
PY=${AGORA_PYTHON:-$ROOT/.venv/bin/python}
AGORA=${AGORA_BIN:-$ROOT/.venv/bin/agora}
TIMEOUT=${AGORA_PLATFORM_TIMEOUT:-90}
HOST=127.0.0.1
GATEWAY_PORT=${GATEWAY_PORT:-8000}
SERVICE_PORT_BASE=${AGORA_SERVICE_PORT_BASE:-8100}
MAIL_PORT=${AGORA_MAIL_PORT:-2525}
PORT_HINT="another Agora platform? stop it (make down in its directory), or give this one other \
ports: GATEWAY_PORT, AGORA_SERVICE_PORT_BASE, AGORA_MAIL_PORT (README, Configuration)"

# the port `up` gives NAME now: the gateway GATEWAY_PORT, a service the base + its rank
configured_port() {
    case $1 in
        gateway) echo "$GATEWAY_PORT" ;;
        identity) echo $((SERVICE_PORT_BASE + 1)) ;;
        posts) echo $((SERVICE_PORT_BASE + 2)) ;;
        moderation) echo $((SERVICE_PORT_BASE + 3)) ;;
        feeds) echo $((SERVICE_PORT_BASE + 4)) ;;
        notifications) echo $((SERVICE_PORT_BASE + 5)) ;;
        conversations) echo $((SERVICE_PORT_BASE + 6)) ;;
        *) echo $((SERVICE_PORT_BASE + 10 + $(printf '%s' "$1" | cksum | cut -d' ' -f1) % 80)) ;;
    esac
}

# the port process NAME listens on: while it runs, the one `up` started it on (the
# WEB_SERVER_ADDRESS in its environment), whatever this shell's environment says; else the one
# `up` would give it now
port_of() {
    local pid address=""
    pid=$(own_pid "$1")
    if [[ -n $pid ]]; then
        address=$(tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null |
            grep '^WEB_SERVER_ADDRESS=') || true
    fi
    if [[ -n $address ]]; then echo "${address##*:}"; else configured_port "$1"; fi
}

# pid of our local mail sink if it runs, else nothing
mailsink_pid() {
    local file=$RUN/mailsink.pid pid
    [[ -f $file ]] || return 0
    pid=$(cat "$file")
    if [[ -n $pid && -r /proc/$pid/cmdline ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "services.devtools.mailsink"; then
        echo "$pid"
    fi
}

# the port of our mail sink: while it runs, the one it was started on (its --port); else
# AGORA_MAIL_PORT
mail_port() {
    local pid port=""
    pid=$(mailsink_pid)
    if [[ -n $pid ]]; then
        port=$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -A1 '^--port$' |
            tail -n 1) || true
    fi
    echo "${port:-$MAIL_PORT}"
}

# No SMTP relay configured: run a local one that keeps mails as files, so e-mail works locally.
start_mailsink() {
    [[ -z ${SMTP_HOST:-} ]] || return 0
    if [[ -z $(mailsink_pid) ]]; then
        setsid "$PY" -m services.devtools.mailsink --host "$HOST" --port "$MAIL_PORT" \
            --dir "$STATE/mail" >>"$LOGS/mailsink.log" 2>&1 </dev/null &
        echo "$!" >"$RUN/mailsink.pid"
        log "mail sink started on $HOST:$MAIL_PORT: e-mails land in .state/mail/"
    fi
    SMTP_PORT=$(mail_port)
    export SMTP_HOST=$HOST SMTP_PORT
}

processes() {
    (cd "$ROOT" && "$PY" -c 'from services.shared.config import available_processes as a; print(" ".join(a()))' 2>/dev/null)
}

# pid of our `agora run NAME` if it runs (guards against a recycled pid), else nothing
own_pid() {
    local name=$1 file=$RUN/agora-$1.pid pid
    [[ -f $file ]] || return 0
    pid=$(cat "$file")
    if [[ -n $pid && -r /proc/$pid/cmdline ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "run $name\( \|$\)"; then
        local stat
        stat=$(cat "/proc/$pid/stat" 2>/dev/null || true)
        stat=${stat##*) }
        if [[ ${stat%% *} != Z ]]; then echo "$pid"; return 0; fi
    fi
    rm -f "$file"
}

# Before anything starts, every port `up` binds must be free: eventlet listens with SO_REUSEPORT,
# so a process started on the port of another platform's would bind beside it, and the kernel
# would split the requests between the two platforms. Our processes that run keep their ports.
check_ports() {
    local name port
    declare -A users=()
    for name in "$@"; do
        if [[ -n $(own_pid "$name") ]]; then  # (else own_pid has removed a stale pid file)
            port=$(port_of "$name")
        else
            port=$(configured_port "$name")
            require_free_port "$port" "$name" "$PORT_HINT"
        fi
        claim_port users "$port" "$name"
    done
    [[ -z ${SMTP_HOST:-} ]] || return 0  # a relay is configured: no mail sink
    port=$(mail_port)
    [[ -n $(mailsink_pid) ]] || require_free_port "$port" "mail sink" "$PORT_HINT"
    claim_port users "$port" "the mail sink"
}

# claim_port USERS PORT NAME: PORT is NAME's in the associative array USERS, unless another
# process of this platform's has it already (two knobs set to the same port)
claim_port() {
    local -n taken=$1
    local other=${taken[$2]:-}
    [[ -z $other ]] || die "port $2 is both $other's and $3's: set GATEWAY_PORT, \
AGORA_SERVICE_PORT_BASE and AGORA_MAIL_PORT apart"
    taken[$2]=$3
}

ready() {
    "$PY" - "$1" <<'EOF'
import sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1] + "/readyz", timeout=2) as response:
        sys.exit(0 if response.status == 200 else 1)
except Exception:
    sys.exit(1)
EOF
}

wait_ready() {
    local name=$1 port=$2 pid=$3 deadline=$((SECONDS + TIMEOUT))
    until ready "http://$HOST:$port"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            printf '\n--- last lines of %s ---\n' "$LOGS/$name.log" >&2
            tail -n 30 "$LOGS/$name.log" | cut -c1-400 >&2 || true
            die "$name exited during start-up (log: $LOGS/$name.log)"
        fi
        if ((SECONDS > deadline)); then
            tail -n 30 "$LOGS/$name.log" | cut -c1-400 >&2 || true
            die "$name not ready after ${TIMEOUT}s (log: $LOGS/$name.log)"
        fi
        sleep 0.3
    done
}

# the local demo bank-system credential, `demo-bank:<secret>`: random, made once, owner-only
demo_credential() {
    local file=$KEYS/demo-service-key
    if [[ ! -s $file ]]; then
        mkdir -p "$KEYS"
        (umask 077 && "$PY" -c 'import secrets; print(secrets.token_urlsafe(24))' \
            | sed "s/^/$DEMO_SERVICE:/" >"$file")
    fi
    cat "$file"
}

# One RabbitMQ user per process with only what its code needs, as in Kubernetes
# (services/shared/broker_permissions.py), made through the management API on AMQP_URI's vhost;
# passwords kept in .state/broker-users.json. Fills the associative array named $1 with
# process -> AMQP URI. AGORA_BROKER_USERS=0, or no management API: everything connects as
# AMQP_URI's user, as before (said in a warning).
broker_users() {
    local -n uris=$1
    local lines process uri
    [[ ${AGORA_BROKER_USERS:-1} != 0 ]] || return 0
    if lines=$("$PY" -m services.shared.broker_permissions provision \
            --state "$STATE/broker-users.json" 2>>"$LOGS/broker-users.log"); then
        while read -r process uri; do uris[$process]=$uri; done <<<"$lines"
        log "broker: one user per process (agora-<process>, least privilege)"
    else
        printf 'platform: warning: no per-process broker users (see .state/logs/broker-users.log); processes connect as AMQP_URI'"'"'s user\n' >&2
    fi
}

cmd_up() {
    cd "$ROOT"
    mkdir -p "$RUN" "$LOGS"
    [[ -x $AGORA ]] || die "$AGORA missing: run make venv"
    "$PY" -m services.identity.keys "$KEYS" >/dev/null
    export AGORA_JWT_PRIVATE_KEY_FILE=${AGORA_JWT_PRIVATE_KEY_FILE:-$KEYS/jwt-private.pem}
    export AGORA_JWT_PUBLIC_KEY_FILE=${AGORA_JWT_PUBLIC_KEY_FILE:-$KEYS/jwt-public.pem}
    export GATEWAY_PORT
    local names name pid port demo_key=""
    if [[ -z ${NOTIFICATIONS_UNSUBSCRIBE_SECRET:-} ]]; then  # signs e-mails' unsubscribe links
        [[ -s $KEYS/unsubscribe-secret ]] || (umask 077 && "$PY" -c \
            'import secrets; print(secrets.token_hex(32))' >"$KEYS/unsubscribe-secret")
        NOTIFICATIONS_UNSUBSCRIBE_SECRET=$(cat "$KEYS/unsubscribe-secret")
        export NOTIFICATIONS_UNSUBSCRIBE_SECRET
    fi
    if [[ -z ${AGORA_SERVICE_CREDENTIALS:-} ]]; then
        demo_key=$(demo_credential)
        AGORA_SERVICE_CREDENTIALS="$DEMO_SERVICE:$(printf '%s' "${demo_key#*:}" | sha256sum | cut -d' ' -f1)"
        export AGORA_SERVICE_CREDENTIALS AGORA_DEMO_SERVICE_KEY=$demo_key  # seed-demo's mention
    fi
    names=$(processes)
    [[ -n $names ]] || die "no process found (services.shared.config.available_processes())"
    # shellcheck disable=SC2086 # one word per process
    check_ports $names
    GATEWAY_PORT=$(port_of gateway)  # the one it runs on, if it runs already
    # the site's address in e-mails and notifications: this platform's, not port 8000's
    export AGORA_WEB_URL=${AGORA_WEB_URL:-http://$HOST:$GATEWAY_PORT}
    log "migrating databases"
    "$AGORA" migrate | sed 's/^/platform: /'
    start_mailsink
    declare -A pids=() amqp=()
    broker_users amqp
    for name in $names; do
        port=$(port_of "$name")
        pid=$(own_pid "$name")
        if [[ -n $pid ]]; then
            log "$name already running (pid $pid, port $port)"
        else
            # not a process-group leader here, so setsid does not fork: $! is the process itself
            local own_user=()
            if [[ -n ${amqp[$name]:-} ]]; then own_user=("AMQP_URI=${amqp[$name]}"); fi
            # env and setsid exec (no fork): $! stays the process itself
            env "${own_user[@]}" WEB_SERVER_ADDRESS="$HOST:$port" setsid "$AGORA" run "$name" \
                >>"$LOGS/$name.log" 2>&1 </dev/null &
            pid=$!
            echo "$pid" >"$RUN/agora-$name.pid"
            log "$name started (pid $pid, port $port, log .state/logs/$name.log)"
        fi
        pids[$name]=$pid
    done
    for name in $names; do
        wait_ready "$name" "$(port_of "$name")" "${pids[$name]}"
    done
    log "all ready: $names"
    if [[ ${AGORA_SKIP_SEED:-0} != 1 ]]; then
        "$AGORA" seed-demo --gateway "http://$HOST:$GATEWAY_PORT" | sed 's/^/platform: /'
    fi
    printf '\nAgora is up: http://%s:%s/  (the site)\n' "$HOST" "$GATEWAY_PORT"
    printf 'API: http://%s:%s/api/v1  (OpenAPI: http://%s:%s/api/v1/openapi.json)\n' \
        "$HOST" "$GATEWAY_PORT" "$HOST" "$GATEWAY_PORT"
    printf 'Demo logins (local only), password agora-demo-2026:\n'
    printf '  admin@demo.agora  cm1@demo.agora  cm2@demo.agora  advisor1@demo.agora  advisor2@demo.agora\n'
    printf '  member1@demo.agora .. member5@demo.agora  (member1, member2: customers of advisor1)\n'
    local totp_secret
    totp_secret=$("$PY" -c 'from services.devtools.demo_seed import DEMO_TOTP_SECRET as s; print(s)')
    printf 'Staff second factor (TOTP, local demo data only): secret %s\n' "$totp_secret"
    printf '  add it to an authenticator app, or: %s -c "import pyotp; print(pyotp.TOTP(\x27%s\x27).now())"\n' \
        "$PY" "$totp_secret"
    if [[ -n $demo_key ]]; then
        printf 'Demo bank-system credential (local only; social intake, see README):\n'
        printf '  X-Agora-Service-Key: %s\n' "$demo_key"
    fi
    printf 'Stop with: make down\n'
}

cmd_down() {
    local file name pid stopped=()
    shopt -s nullglob
    for file in "$RUN"/agora-*.pid; do
        name=${file##*/agora-}; name=${name%.pid}
        pid=$(own_pid "$name")
        [[ -n $pid ]] || continue
        kill -TERM "$pid" 2>/dev/null || true
        stopped+=("$name:$pid")
    done
    local deadline=$((SECONDS + 20)) entry
    for entry in "${stopped[@]}"; do
        name=${entry%%:*}; pid=${entry##*:}
        while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
        if kill -0 "$pid" 2>/dev/null; then
            log "$name did not stop in time: SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        rm -f "$RUN/agora-$name.pid"
        log "$name stopped"
    done
    pid=$(mailsink_pid)
    if [[ -n $pid ]]; then
        kill -TERM "$pid" 2>/dev/null || true
        rm -f "$RUN/mailsink.pid"
        stopped+=("mailsink:$pid")
        log "mail sink stopped"
    fi
    ((${#stopped[@]})) || log "nothing was running"
}

cmd_status() {
    local name pid port state
    for name in $(processes); do
        port=$(port_of "$name")
        pid=$(own_pid "$name")
        if [[ -z $pid ]]; then
            state="stopped"
        elif ready "http://$HOST:$port"; then
            state="running (pid $pid), ready"
        else
            state="running (pid $pid), NOT ready"
        fi
        printf '%-14s %-36s http://%s:%s  log .state/logs/%s.log\n' "$name:" "$state" "$HOST" "$port" "$name"
    done
}

case ${1:-} in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    demo-credential) demo_credential ;;
    *) echo "usage: $0 up|down|status|demo-credential" >&2; exit 2 ;;
esac
