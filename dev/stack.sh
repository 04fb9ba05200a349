#!/usr/bin/env bash
# dev/stack.sh — the local infrastructure for development and tests: RabbitMQ and MongoDB.
#
#   dev/stack.sh up       start what is missing (idempotent); applies the broker policies the k8s dev
#                         topology declares for bank systems' queues (dev/broker_policies.py);
#                         writes .state/stack.env
#   dev/stack.sh down     stop exactly what `up` started (never an external AMQP_URI / MONGO_URI)
#   dev/stack.sh status   what runs, where
#   dev/stack.sh env      print .state/stack.env (export lines: AMQP_URI, RABBIT_MANAGEMENT_URI, MONGO_URI)
#
# RabbitMQ: AMQP_URI when it answers; otherwise our own broker from Debian's rabbitmq-server (installed
#   if missing), management plugin on, data under .state/rabbitmq/, on 127.0.0.1:5672 / :15672.
# MongoDB: MONGO_URI when it answers; else `mongod` if installed; else the MongoDB-wire-compatible
#   stand-in dev/mongo-server/ (mongo-java-server, H2 backend: data on disk in .state/mongodb/),
#   built with Maven into .state/cache/mongo-server/ (JDK and Maven installed if missing).
# Processes run in the background: pid files in .state/run/, logs in .state/logs/.
#
# Knobs (environment): AGORA_RABBIT_PORT (5672), AGORA_RABBIT_MGMT_PORT (15672), AGORA_MONGO_PORT
# (27017), AGORA_STACK_TIMEOUT (readiness timeout per component, 120 s), AGORA_PYTHON (the python
# with pika + pymongo used for probes; default .venv/bin/python), AGORA_MONGO_JAVA_OPTS (the
# stand-in's JVM options, instead of dev/mongo-server/jvm.options), AGORA_MONGO_CACHE_MB,
# AGORA_MONGO_FILL_RATE, AGORA_MONGO_PAGE_SPLIT, AGORA_MONGO_COMMIT_BUFFER_MB (the stand-in's own
# settings, read from the environment it inherits: dev/mongo-server MongoStandIn.java),
# AGORA_RABBIT_CONF (lines added to
# the broker's rabbitmq.conf, e.g. to compare a setting; `down` then `up` to apply).
set -euo pipefail

SCRIPT=stack
source "$(dirname "${BASH_SOURCE[0]}")/paths.sh" # ROOT, STATE, RUN, LOGS; log, warn, die, require_free_port
CACHE=$STATE/cache
STACK_ENV=$STATE/stack.env

HOST=127.0.0.1
RABBIT_PORT=${AGORA_RABBIT_PORT:-5672}
RABBIT_MGMT_PORT=${AGORA_RABBIT_MGMT_PORT:-15672}
RABBIT_DIST_PORT=$((RABBIT_PORT + 20000))
MONGO_PORT=${AGORA_MONGO_PORT:-27017}
TIMEOUT=${AGORA_STACK_TIMEOUT:-120}

OWN_AMQP_URI="amqp://guest:guest@$HOST:$RABBIT_PORT/"
OWN_MGMT_URI="http://guest:guest@$HOST:$RABBIT_MGMT_PORT"
OWN_MONGO_URI="mongodb://$HOST:$MONGO_PORT"

RMQ_DIR=$STATE/rabbitmq
RMQ_LOG_DIR=$LOGS/rabbitmq
if [[ $RABBIT_PORT == 5672 ]]; then RMQ_NODE=agora@localhost; else RMQ_NODE=agora$RABBIT_PORT@localhost; fi
RMQ_MARKER="RABBITMQ_MNESIA_BASE=$RMQ_DIR/mnesia" # in the broker's environment: it is ours
MONGO_DIR=$STATE/mongodb
MONGO_MARKER=$MONGO_DIR # in the server's command line (--dbpath / --file)
MONGO_SRC=$ROOT/dev/mongo-server
MONGO_CACHE=$CACHE/mongo-server
# the stand-in's JVM options, one file for this script and the benches (its comments say why)
MONGO_JAVA_OPTS=$(sed 's/#.*//' "$MONGO_SRC/jvm.options" | tr -s ' \n' ' ')

# die, showing the end of the given log files
die_with_logs() {
    local message=$1; shift
    local f
    for f in "$@"; do
        if [[ -s $f ]]; then
            printf '\n--- last lines of %s ---\n' "$f" >&2
            tail -n 25 "$f" | cut -c1-300 >&2 || true
        fi
    done
    printf '\n' >&2
    die "$message (logs: $*)"
}

# ---------------------------------------------------------------- processes and pid files

# running = exists and is not a zombie (PID 1 here may not reap orphans)
is_running() {
    local pid=$1 stat
    [[ -n $pid && -r /proc/$pid/stat ]] || return 1
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat%% *} != Z && ${stat%% *} != X ]]
}

# own_pid NAME MARKER: print the pid from .state/run/NAME.pid if that process runs and its command
# line or environment contains MARKER (guards against a recycled pid); else remove a stale pid file
own_pid() {
    local name=$1 marker=$2 file=$RUN/$1.pid pid seen
    [[ -f $file ]] || return 1
    pid=$(<"$file")
    # (no `| grep -q` here: with pipefail, grep's early exit would fail the pipeline)
    seen=$(cat "/proc/$pid/cmdline" "/proc/$pid/environ" 2>/dev/null | tr '\0' '\n') || true
    if is_running "$pid"; then
        [[ $seen == *"$marker"* ]] || return 1 # a recycled pid (or not yet exec'd): not ours now
        printf '%s\n' "$pid"
        return 0
    fi
    rm -f "$file"
    return 1
}

# start_bg NAME LOGFILE CMD...: run CMD in its own session, detached from our stdin/stdout and from
# the lock (fd 9); every wrapper in CMD execs, so $! is the server's own pid
start_bg() {
    local name=$1 logfile=$2; shift 2
    printf '\n=== %s: %s\n' "$(date -u +%FT%TZ)" "$*" >>"$logfile"
    setsid "$@" </dev/null >>"$logfile" 2>&1 9>&- &
    printf '%s\n' "$!" >"$RUN/$name.pid"
}

# stop_pid NAME MARKER GRACE: SIGTERM, wait up to GRACE seconds, then SIGKILL the process group
# (start_bg made each server a session/group leader; RabbitMQ's start script stays as the parent of
# beam.smp and turns SIGTERM into a clean broker shutdown)
stop_pid() {
    local name=$1 marker=$2 grace=$3 pid waited=0
    pid=$(own_pid "$name" "$marker") || { rm -f "$RUN/$name.pid"; return 0; }
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    while is_running "$pid" && ((waited < grace * 5)); do
        sleep 0.2
        waited=$((waited + 1))
    done
    if is_running "$pid"; then
        warn "$name (pid $pid) still running after ${grace}s: SIGKILL to its process group"
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
        waited=0
        while is_running "$pid" && ((waited < 50)); do sleep 0.2; waited=$((waited + 1)); done
    fi
    rm -f "$RUN/$name.pid"
}

# ---------------------------------------------------------------- helpers

python_for_probes() {
    PY=${AGORA_PYTHON:-$ROOT/.venv/bin/python}
    if [[ ! -x $PY ]] || ! "$PY" -c 'import pika, pymongo' 2>/dev/null; then
        die "the probes need a python with pika and pymongo ($PY): run 'make venv' first (or set AGORA_PYTHON)"
    fi
}

probe() { "$PY" "$ROOT/dev/probe.py" "$@"; }

apt_install() {
    [[ $(id -u) -eq 0 ]] || die "need root to install Debian packages: $* (apt-get install $*)"
    command -v apt-get >/dev/null || die "no apt-get on this machine: install $* by hand"
    local apt_log=$LOGS/apt.log created_policy=0 rc=0
    log "installing Debian packages: $* (log: $apt_log)"
    # Never let the package start a system-wide service (ours runs from .state/)
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\n# temporary, from agora dev/stack.sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        created_policy=1
    fi
    {
        DEBIAN_FRONTEND=noninteractive apt-get update -q &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
    } </dev/null >>"$apt_log" 2>&1 || rc=$?
    if ((created_policy)); then rm -f /usr/sbin/policy-rc.d; fi
    ((rc == 0)) || die_with_logs "apt-get install $* failed" "$apt_log"
}

# `export NAME='value'` (single-quoted: simple for other readers such as tests/conftest.py)
export_line() { printf "export %s='%s'\n" "$1" "${2//\'/\'\\\'\'}"; }

# ---------------------------------------------------------------- epmd + RabbitMQ

RMQ_BIN=
RUN_AS=()
RABBIT_ENV=()

rabbit_setup_env() {
    if [[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]]; then
        RMQ_BIN=/usr/lib/rabbitmq/bin # Debian: the real scripts, not the /usr/sbin wrappers (they `su`)
    elif command -v rabbitmq-server >/dev/null; then
        RMQ_BIN=$(dirname "$(command -v rabbitmq-server)")
    else
        RMQ_BIN=
    fi
    RABBIT_ENV=(
        HOME="$RMQ_DIR/home" # the Erlang cookie shared by the node and the CLI tools
        LC_ALL=C.UTF-8
        RABBITMQ_NODENAME="$RMQ_NODE"
        RABBITMQ_CONF_ENV_FILE="$RMQ_DIR/rabbitmq-env.conf"
        RABBITMQ_CONFIG_FILE="$RMQ_DIR/rabbitmq.conf"
        RABBITMQ_ADVANCED_CONFIG_FILE="$RMQ_DIR/advanced.config"
        RABBITMQ_ENABLED_PLUGINS_FILE="$RMQ_DIR/enabled_plugins"
        RABBITMQ_MNESIA_BASE="$RMQ_DIR/mnesia"
        RABBITMQ_LOG_BASE="$RMQ_LOG_DIR"
        RABBITMQ_DIST_PORT="$RABBIT_DIST_PORT"
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
        ERL_EPMD_ADDRESS="$HOST"
    )
}

# as root, run the broker as the `rabbitmq` user (like Debian's wrappers do) when it can reach
# .state/ — a clone under /root is not reachable for it; then run as root
rabbit_choose_user() {
    RUN_AS=()
    if [[ $(id -u) -eq 0 ]] && id rabbitmq >/dev/null 2>&1; then
        chown -R rabbitmq:rabbitmq "$RMQ_DIR" "$RMQ_LOG_DIR"
        if setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups test -w "$RMQ_DIR" -a -w "$RMQ_LOG_DIR" 2>/dev/null; then
            RUN_AS=(setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups)
        else
            warn "user rabbitmq cannot reach $RMQ_DIR: running the broker as root"
        fi
    fi
}

rabbit_cli() {
    local tool=$1; shift
    (cd "$RMQ_DIR" && "${RUN_AS[@]}" env "${RABBIT_ENV[@]}" "$RMQ_BIN/$tool" "$@")
}

rabbit_write_config() {
    mkdir -p "$RMQ_DIR/home" "$RMQ_DIR/mnesia" "$RMQ_LOG_DIR"
    cat >"$RMQ_DIR/rabbitmq.conf" <<EOF
# written by dev/stack.sh — local development broker
listeners.tcp.default = $HOST:$RABBIT_PORT
management.tcp.ip = $HOST
management.tcp.port = $RABBIT_MGMT_PORT
log.console = false
log.file.level = info
EOF
    if [[ -n ${AGORA_RABBIT_CONF:-} ]]; then # an A/B's settings, after ours: the last one wins
        printf '# from AGORA_RABBIT_CONF\n%s\n' "$AGORA_RABBIT_CONF" >>"$RMQ_DIR/rabbitmq.conf"
    fi
    printf '# written by dev/stack.sh: keeps /etc/rabbitmq/rabbitmq-env.conf out of the local broker\n' \
        >"$RMQ_DIR/rabbitmq-env.conf"
    if [[ ! -s $RMQ_DIR/home/.erlang.cookie ]]; then
        (umask 077 && od -An -N20 -tx1 /dev/urandom | tr -d ' \n' | tr a-f A-F >"$RMQ_DIR/home/.erlang.cookie")
    fi
    chmod 400 "$RMQ_DIR/home/.erlang.cookie"
}

epmd_up() {
    if epmd -names >/dev/null 2>&1; then return 0; fi
    log "starting epmd on $HOST"
    start_bg epmd "$LOGS/epmd.log" "${RUN_AS[@]}" env ERL_EPMD_ADDRESS="$HOST" epmd
    local i pid
    pid=$(<"$RUN/epmd.pid")
    for ((i = 0; i < 50; i++)); do
        epmd -names >/dev/null 2>&1 && return 0
        is_running "$pid" || break
        sleep 0.1
    done
    die_with_logs "epmd did not start" "$LOGS/epmd.log"
}

epmd_down() {
    local pid names
    pid=$(own_pid epmd epmd) || return 0
    names=$(epmd -names 2>/dev/null | grep -c '^name ' || true)
    if [[ ${names:-0} -gt 0 ]]; then
        log "leaving epmd (pid $pid) running: other Erlang nodes use it"
        return 0
    fi
    stop_pid epmd epmd 5
}

rabbit_wait_ready() {
    local pid=$1 logs=("$RMQ_LOG_DIR/$RMQ_NODE.log" "$LOGS/rabbitmq.log") rc=0
    probe amqp "$OWN_AMQP_URI" --timeout "$TIMEOUT" --pid "$pid" >/dev/null || rc=$?
    if ((rc == 3)); then die_with_logs "RabbitMQ exited during startup" "${logs[@]}"; fi
    if ((rc != 0)); then die_with_logs "RabbitMQ did not accept AMQP connections within ${TIMEOUT}s" "${logs[@]}"; fi
    rabbit_cli rabbitmq-diagnostics -q check_running >/dev/null 2>>"$LOGS/rabbitmq.log" ||
        die_with_logs "rabbitmq-diagnostics check_running failed for $RMQ_NODE" "${logs[@]}"
    rc=0
    probe http "$OWN_MGMT_URI/api/overview" --timeout "$TIMEOUT" --pid "$pid" >/dev/null || rc=$?
    if ((rc != 0)); then die_with_logs "RabbitMQ management API did not answer on $HOST:$RABBIT_MGMT_PORT" "${logs[@]}"; fi
}

rabbit_up() {
    local pid
    if [[ ${AMQP_URI:-} == pyamqp://* ]]; then AMQP_URI=amqp://${AMQP_URI#pyamqp://}; fi # kombu's spelling
    if [[ -n ${AMQP_URI:-} && $AMQP_URI != "$OWN_AMQP_URI" ]]; then
        if probe amqp "$AMQP_URI" --timeout 5 >/dev/null 2>&1; then
            RABBIT_MODE=external RABBIT_URI=$AMQP_URI
            log "RabbitMQ: using AMQP_URI (answers)"
            return 0
        fi
        warn "AMQP_URI is set but does not answer: starting a local broker instead"
    fi
    if pid=$(own_pid rabbitmq "$RMQ_MARKER"); then
        log "RabbitMQ: already running (pid $pid, node $RMQ_NODE)"
        rabbit_setup_env
        rabbit_choose_user
        rabbit_wait_ready "$pid"
        RABBIT_MODE=own RABBIT_URI=$OWN_AMQP_URI
        return 0
    fi
    if [[ -n ${AMQP_URI:-} ]] && probe amqp "$AMQP_URI" --timeout 5 >/dev/null 2>&1; then
        RABBIT_MODE=external RABBIT_URI=$AMQP_URI
        log "RabbitMQ: using AMQP_URI (answers)"
        return 0
    fi

    rabbit_setup_env
    if [[ -z $RMQ_BIN ]]; then
        apt_install rabbitmq-server
        rabbit_setup_env
        [[ -n $RMQ_BIN ]] || die "rabbitmq-server is still missing after apt-get install"
    fi
    require_free_port "$RABBIT_PORT" AMQP "set AMQP_URI to use that broker, or AGORA_RABBIT_PORT to pick another port"
    require_free_port "$RABBIT_MGMT_PORT" "RabbitMQ management" "set AGORA_RABBIT_MGMT_PORT to pick another port"
    require_free_port "$RABBIT_DIST_PORT" "Erlang distribution" "set AGORA_RABBIT_PORT to pick another port"

    rabbit_write_config
    rabbit_choose_user
    if ! grep -qs rabbitmq_management "$RMQ_DIR/enabled_plugins"; then
        log "enabling rabbitmq_management (offline)"
        rabbit_cli rabbitmq-plugins --offline enable rabbitmq_management >>"$LOGS/rabbitmq.log" 2>&1 ||
            die_with_logs "rabbitmq-plugins enable rabbitmq_management failed" "$LOGS/rabbitmq.log"
    fi
    epmd_up

    log "starting RabbitMQ ($RMQ_NODE) on $HOST:$RABBIT_PORT, management on :$RABBIT_MGMT_PORT (log: $RMQ_LOG_DIR/$RMQ_NODE.log)"
    start_bg rabbitmq "$LOGS/rabbitmq.log" "${RUN_AS[@]}" env "${RABBIT_ENV[@]}" "$RMQ_BIN/rabbitmq-server"
    rabbit_wait_ready "$(<"$RUN/rabbitmq.pid")"
    RABBIT_MODE=own RABBIT_URI=$OWN_AMQP_URI
    log "RabbitMQ: ready"
}

rabbit_down() {
    stop_pid rabbitmq "$RMQ_MARKER" 60
    epmd_down
}

# ---------------------------------------------------------------- MongoDB

mongo_build_stand_in() {
    local hash jar=$MONGO_CACHE/build/mongo-stand-in.jar build_log=$LOGS/mongo-server-build.log
    hash=$(cat "$MONGO_SRC/pom.xml" $(find "$MONGO_SRC/src" -name '*.java' | LC_ALL=C sort) | sha256sum | cut -c1-64)
    if [[ -f $jar && -d $MONGO_CACHE/lib && $(cat "$MONGO_CACHE/stamp" 2>/dev/null) == "$hash" ]]; then
        return 0
    fi
    if ! command -v java >/dev/null || ! command -v javac >/dev/null || ! command -v mvn >/dev/null; then
        apt_install default-jdk-headless maven
    fi
    log "building the MongoDB stand-in (mongo-java-server 1.47.0, H2 backend) into $MONGO_CACHE (log: $build_log)"
    rm -rf "$MONGO_CACHE/build" "$MONGO_CACHE/lib" "$MONGO_CACHE/stamp"
    mkdir -p "$MONGO_CACHE"
    (cd "$MONGO_SRC" && mvn -q -B -Dstyle.color=never \
        -Dagora.build.dir="$MONGO_CACHE/build" -Dagora.lib.dir="$MONGO_CACHE/lib" package) \
        </dev/null >"$build_log" 2>&1 || die_with_logs "building dev/mongo-server with Maven failed" "$build_log"
    [[ -f $jar ]] || die_with_logs "Maven did not produce $jar" "$build_log"
    printf '%s\n' "$hash" >"$MONGO_CACHE/stamp"
}

mongo_wait_ready() {
    local pid=$1 rc=0 info
    info=$(probe mongo "$OWN_MONGO_URI" --timeout "$TIMEOUT" --pid "$pid") || rc=$?
    if ((rc == 3)); then die_with_logs "MongoDB ($MONGO_KIND) exited during startup" "$LOGS/mongodb.log"; fi
    if ((rc != 0)); then die_with_logs "MongoDB ($MONGO_KIND) did not answer a ping within ${TIMEOUT}s" "$LOGS/mongodb.log"; fi
    log "MongoDB: ready ($info)"
}

mongo_up() {
    local pid
    if [[ -n ${MONGO_URI:-} && $MONGO_URI != "$OWN_MONGO_URI" ]]; then
        if probe mongo "$MONGO_URI" --timeout 5 >/dev/null 2>&1; then
            MONGO_MODE=external MONGO_ADDR=$MONGO_URI
            log "MongoDB: using MONGO_URI (answers)"
            return 0
        fi
        warn "MONGO_URI is set but does not answer: starting a local MongoDB instead"
    fi
    MONGO_KIND=$(cat "$RUN/mongodb.kind" 2>/dev/null || echo "?")
    if pid=$(own_pid mongodb "$MONGO_MARKER"); then
        log "MongoDB: already running (pid $pid, $MONGO_KIND)"
        mongo_wait_ready "$pid"
        MONGO_MODE=own MONGO_ADDR=$OWN_MONGO_URI
        return 0
    fi
    if [[ -n ${MONGO_URI:-} ]] && probe mongo "$MONGO_URI" --timeout 5 >/dev/null 2>&1; then
        MONGO_MODE=external MONGO_ADDR=$MONGO_URI
        log "MongoDB: using MONGO_URI (answers)"
        return 0
    fi

    require_free_port "$MONGO_PORT" MongoDB "set MONGO_URI to use that server, or AGORA_MONGO_PORT to pick another port"
    mkdir -p "$MONGO_DIR"
    if command -v mongod >/dev/null; then
        MONGO_KIND=mongod
        mkdir -p "$MONGO_DIR/db"
        log "starting mongod on $HOST:$MONGO_PORT (data: $MONGO_DIR/db, log: $LOGS/mongodb.log)"
        printf 'mongod\n' >"$RUN/mongodb.kind"
        start_bg mongodb "$LOGS/mongodb.log" mongod --dbpath "$MONGO_DIR/db" --bind_ip "$HOST" --port "$MONGO_PORT"
    else
        MONGO_KIND=stand-in
        mongo_build_stand_in
        log "starting the MongoDB stand-in on $HOST:$MONGO_PORT (data: $MONGO_DIR/agora.mv.db, log: $LOGS/mongodb.log)"
        printf 'stand-in\n' >"$RUN/mongodb.kind"
        # G1 (a 20 ms pause target: MONGO_JAVA_OPTS) and both JIT compilers (docs/performance.md,
        # "The stand-in's CPU per command"): C1
        # alone and the serial collector cut a fresh stand-in's CPU to a third over a bench (C2's
        # compiling), but every lookup took 1.6x as long once warm: the wrong trade for the
        # long-running shared stand-in.
        # shellcheck disable=SC2086 # word splitting of the JVM options is intended
        start_bg mongodb "$LOGS/mongodb.log" java ${AGORA_MONGO_JAVA_OPTS:-$MONGO_JAVA_OPTS} \
            -Dorg.slf4j.simpleLogger.showDateTime=true \
            "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSSZ" \
            -Dorg.slf4j.simpleLogger.log.de.bwaldvogel.mongo.wire=warn \
            -Dorg.slf4j.simpleLogger.log.de.bwaldvogel.mongo.backend=warn \
            -cp "$MONGO_CACHE/build/mongo-stand-in.jar:$MONGO_CACHE/lib/*" \
            agora.dev.MongoStandIn --host "$HOST" --port "$MONGO_PORT" --file "$MONGO_DIR/agora.mv.db"
    fi
    mongo_wait_ready "$(<"$RUN/mongodb.pid")"
    MONGO_MODE=own MONGO_ADDR=$OWN_MONGO_URI
}

mongo_down() {
    stop_pid mongodb "$MONGO_MARKER" 30
    rm -f "$RUN/mongodb.kind"
}

# The broker policies production applies that a local integrator must meet too (the bank systems'
# queue limits), read from the k8s dev topology itself by dev/broker_policies.py and put on
# AMQP_URI's vhost through the management API at every `up`: idempotent, one definition.
broker_policies() {
    local mgmt=$1 said
    if said=$(AMQP_URI=$RABBIT_URI RABBIT_MANAGEMENT_URI=$mgmt "$PY" "$ROOT/dev/broker_policies.py" \
            2>>"$LOGS/broker-policies.log"); then
        log "$said"
    elif [[ $RABBIT_MODE == own ]]; then
        die_with_logs "could not apply the broker policies (dev/broker_policies.py)" "$LOGS/broker-policies.log"
    else
        warn "could not apply the broker policies on AMQP_URI's broker (see ${LOGS#"$ROOT"/}/broker-policies.log): bank.* queues are not bounded there"
    fi
}

# ---------------------------------------------------------------- commands

lock() {
    mkdir -p "$RUN" "$LOGS" "$CACHE"
    exec 9>"$RUN/stack.lock"
    flock -w 600 9 || die "another dev/stack.sh holds $RUN/stack.lock"
}

cmd_up() {
    lock
    python_for_probes
    local started=$SECONDS mgmt
    rabbit_up
    mongo_up
    if [[ $RABBIT_MODE == own ]]; then
        mgmt=$OWN_MGMT_URI
    else
        mgmt=${RABBIT_MANAGEMENT_URI:-$(probe mgmt-uri "$RABBIT_URI")}
        probe http "$mgmt/api/overview" --timeout 5 >/dev/null 2>&1 ||
            warn "the RabbitMQ management API does not answer at RABBIT_MANAGEMENT_URI: tests that create vhosts will fail"
    fi
    broker_policies "$mgmt"
    {
        printf '# written by dev/stack.sh up (%s); RabbitMQ: %s, MongoDB: %s\n' \
            "$(date -u +%FT%TZ)" "$RABBIT_MODE" "${MONGO_MODE}${MONGO_KIND:+ ($MONGO_KIND)}"
        export_line AMQP_URI "$RABBIT_URI"
        export_line RABBIT_MANAGEMENT_URI "$mgmt"
        export_line MONGO_URI "$MONGO_ADDR"
    } >"$STACK_ENV.tmp"
    mv "$STACK_ENV.tmp" "$STACK_ENV"
    log "up in $((SECONDS - started))s; environment in ${STACK_ENV#"$ROOT"/} (dev/stack.sh env)"
}

cmd_down() {
    lock
    mongo_down
    rabbit_setup_env
    rabbit_down
    rm -f "$STACK_ENV"
    log "down"
}

# the mode `up` recorded in stack.env's first line: own | external | (empty)
recorded_mode() { sed -n "1s/.*$1: \([a-z]*\).*/\1/p" "$STACK_ENV" 2>/dev/null || true; }

cmd_status() {
    local pid
    mkdir -p "$RUN"
    if pid=$(own_pid rabbitmq "$RMQ_MARKER"); then
        echo "rabbitmq: running (pid $pid, node $RMQ_NODE) $OWN_AMQP_URI management $OWN_MGMT_URI, logs ${RMQ_LOG_DIR#"$ROOT"/}/"
    else
        case $(recorded_mode RabbitMQ) in
            external) echo "rabbitmq: external ($(sed -n "s/^export AMQP_URI=//p" "$STACK_ENV"))" ;;
            own) echo "rabbitmq: NOT RUNNING — it was started by up and has stopped (log: ${RMQ_LOG_DIR#"$ROOT"/}/$RMQ_NODE.log); dev/stack.sh up restarts it" ;;
            *) echo "rabbitmq: not running" ;;
        esac
    fi
    if pid=$(own_pid mongodb "$MONGO_MARKER"); then
        echo "mongodb:  running (pid $pid, $(cat "$RUN/mongodb.kind" 2>/dev/null || echo '?')) $OWN_MONGO_URI, data ${MONGO_DIR#"$ROOT"/}/, log ${LOGS#"$ROOT"/}/mongodb.log"
    else
        case $(recorded_mode MongoDB) in
            external) echo "mongodb:  external ($(sed -n "s/^export MONGO_URI=//p" "$STACK_ENV"))" ;;
            own) echo "mongodb:  NOT RUNNING — it was started by up and has stopped (log: ${LOGS#"$ROOT"/}/mongodb.log); dev/stack.sh up restarts it" ;;
            *) echo "mongodb:  not running" ;;
        esac
    fi
    if pid=$(own_pid epmd epmd); then echo "epmd:     running (pid $pid)"; fi
    if [[ -f $STACK_ENV ]]; then echo "env:      ${STACK_ENV#"$ROOT"/}"; else echo "env:      none (run dev/stack.sh up)"; fi
}

cmd_env() {
    [[ -f $STACK_ENV ]] || die "no ${STACK_ENV#"$ROOT"/}: run dev/stack.sh up first"
    cat "$STACK_ENV"
}

case ${1:-} in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    env) cmd_env ;;
    *)
        echo "usage: dev/stack.sh up|down|status|env" >&2
        exit 2
        ;;
esac
