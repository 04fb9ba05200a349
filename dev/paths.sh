# dev/paths.sh — sourced (not run) by dev/stack.sh and dev/platform.sh: where the local state lives
# and how the scripts speak. The caller sets SCRIPT, its name in messages, before sourcing.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE=$ROOT/.state
RUN=$STATE/run
LOGS=$STATE/logs

log() { printf '%s: %s\n' "$SCRIPT" "$*"; }
warn() { printf '%s: warning: %s\n' "$SCRIPT" "$*" >&2; }
die() { printf '%s: error: %s\n' "$SCRIPT" "$*" >&2; exit 1; }
