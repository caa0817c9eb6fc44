# shellcheck shell=bash
# Sourced by the other scripts: make sure .venv exists and holds the project
# (editable, with the dev extra), then put .venv/bin first on PATH.
# Side effect on purpose: the caller ends up in the project root.
set -euo pipefail

LESSOR_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$LESSOR_ROOT"

_lessor_venv="$LESSOR_ROOT/.venv"
_lessor_stamp="$_lessor_venv/.lessor-installed"

_lessor_venv_say() { printf '_venv.sh: %s\n' "$*" >&2; }

# The stamp records which pyproject.toml the venv was last installed from.
_lessor_venv_is_current() {
    [[ -x "$_lessor_venv/bin/python" && -f "$_lessor_stamp" ]] || return 1
    [[ "$(sha256sum <"$LESSOR_ROOT/pyproject.toml")" == "$(cat "$_lessor_stamp")" ]]
}

_lessor_venv_setup() {
    local python="${PYTHON:-python3}"
    if [[ ! -x "$_lessor_venv/bin/python" ]]; then
        command -v "$python" >/dev/null || {
            _lessor_venv_say "error: '$python' not found; Python >= 3.11 is required."
            return 1
        }
        "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
            _lessor_venv_say "error: Python >= 3.11 is required, '$python' is $("$python" -V 2>&1)."
            _lessor_venv_say "       Set PYTHON=/path/to/python3.11+ and retry."
            return 1
        }
        _lessor_venv_say "creating .venv with $("$python" -V 2>&1)"
        # --clear: a .venv whose interpreter vanished is rebuilt, not patched.
        "$python" -m venv --clear "$_lessor_venv"
        rm -f "$_lessor_stamp"
        "$_lessor_venv/bin/python" -m pip install -q --disable-pip-version-check \
            --upgrade pip >&2 || _lessor_venv_say "warning: could not upgrade pip; continuing."
    fi
    "$_lessor_venv/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
        _lessor_venv_say "error: .venv runs $("$_lessor_venv/bin/python" -V 2>&1); >= 3.11 is required."
        _lessor_venv_say "       Remove .venv and retry."
        return 1
    }
    _lessor_venv_say "pyproject.toml changed since last install: pip install -e '.[dev]'"
    # pip's stdout goes to stderr: callers may capture our stdout.
    "$_lessor_venv/bin/python" -m pip install -q --disable-pip-version-check \
        -e "${LESSOR_ROOT}[dev]" >&2
    # Only written after a successful install, so a failed one is retried.
    sha256sum <"$LESSOR_ROOT/pyproject.toml" >"$_lessor_stamp"
}

if ! _lessor_venv_is_current; then
    # Serialise concurrent first runs; re-check once we hold the lock.
    if command -v flock >/dev/null; then
        exec {_lessor_lock_fd}<"$LESSOR_ROOT/pyproject.toml"
        flock "$_lessor_lock_fd"
    fi
    # Not `is_current || setup`: set -e is off inside a function called from ||.
    if ! _lessor_venv_is_current; then
        _lessor_venv_setup
    fi
    if [[ -n "${_lessor_lock_fd:-}" ]]; then
        exec {_lessor_lock_fd}<&-
        unset _lessor_lock_fd
    fi
fi

export VIRTUAL_ENV="$_lessor_venv"
unset PYTHONHOME
# Nested scripts (test -> lint) source us again; don't stack duplicate entries.
[[ "$PATH" == "$VIRTUAL_ENV/bin:"* ]] || export PATH="$VIRTUAL_ENV/bin:$PATH"
