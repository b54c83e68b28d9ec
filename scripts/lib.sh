# Shared helpers for the scripts in this directory. Source it; do not run it.
# shellcheck shell=bash disable=SC2034  # the variables are for the scripts that source this file

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
RUN=$ROOT/.run
VENV=$ROOT/.venv
SERVICES_ENV=$RUN/services.env

say() { printf 'capa: %s\n' "$*"; }
warn() { printf 'capa: %s\n' "$*" >&2; }
die() {
    printf 'capa: error: %s\n' "$*" >&2
    exit 1
}

# True when process PID exists and is not a zombie (a daemon that has exited but that its new
# parent, e.g. a container's init, has not reaped yet still answers kill -0).
pid_alive() {
    local state
    kill -0 "$1" 2>/dev/null || return 1
    state=$(cut -d')' -f2 "/proc/$1/stat" 2>/dev/null | cut -d' ' -f2) || return 0
    [ "$state" != Z ]
}

# True when something accepts TCP connections on 127.0.0.1:PORT (pure bash, no extra tools).
port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Export DATABASE_URL and REDIS_URL from .run/services.env, keeping values already in the
# environment. Read line by line (never sourced): a URL may hold characters the shell would expand.
load_services_env() {
    local key value
    [ -f "$SERVICES_ENV" ] || die "$SERVICES_ENV is missing: run scripts/services start"
    while IFS='=' read -r key value; do
        case $key in
            '' | \#*) continue ;;
        esac
        if [ -z "${!key:-}" ]; then
            export "$key=$value"
        fi
    done <"$SERVICES_ENV"
}
