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

# The FUSE mount tests need fusermount3 and libfuse3. Install them when missing and
# we are root (CI runs as root on a fresh Debian/Ubuntu machine, with no stdin);
# otherwise say how, and the mount tests skip (outside CI) or fail (under CI).
ensure_fuse() {
    if command -v fusermount3 >/dev/null 2>&1 || command -v fusermount >/dev/null 2>&1; then
        return 0
    fi
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "note: FUSE is not installed (fusermount3); install fuse3 to run the mount tests" >&2
        return 0
    fi
    echo "installing fuse3 for the mount tests" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q fuse3 </dev/null >/dev/null 2>&1 || {
        apt-get update -q </dev/null >/dev/null
        apt-get install -y -q fuse3 </dev/null >/dev/null
    }
}
