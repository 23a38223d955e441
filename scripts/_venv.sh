# Sourced by scripts/*: create .venv if missing and install the package into it.
# Usage: ensure_venv [extras]
ensure_venv() {
    local extras="${1:-}"
    local root
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    local py="${PYTHON:-python3}"
    if ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        echo "notion-mirror needs Python 3.11 or newer (found: $("$py" --version 2>&1))" >&2
        return 1
    fi
    if [ ! -x "$root/.venv/bin/python" ]; then
        "$py" -m venv "$root/.venv"
    fi
    local spec="$root"
    [ -n "$extras" ] && spec="$root[$extras]"
    # A stamp of pyproject.toml keeps repeat runs fast and reinstalls after a dependency change.
    local stamp="$root/.venv/.installed-${extras:-base}"
    if [ ! -f "$stamp" ] || ! cmp -s "$root/pyproject.toml" "$stamp"; then
        "$root/.venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip </dev/null
        "$root/.venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$spec" </dev/null
        cp "$root/pyproject.toml" "$stamp"
    fi
}
