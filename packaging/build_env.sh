# shellcheck shell=bash
# Sourced by packaging/build_linux.sh and packaging/macos/build_macos.sh (from the repository
# root): `build_env PYTHON` installs the uv that packaging/dev-run pins into .venv-tools/ (as the
# quick start has it) and syncs .venv-build/ from uv.lock with the runtime dependencies and the
# 'packaging' group (PyInstaller), never the dev tools, leaving the quick start's .venv/ alone.
# Expects a `say` function.
build_env() {
    local py=$1 pin uv=.venv-tools/bin/uv
    pin=$(sed -n 's/^UV_VERSION=//p' packaging/dev-run)
    if [ ! -x "$uv" ] || [ "$("$uv" --version | cut -d' ' -f2)" != "$pin" ]; then
        say "installing uv $pin into .venv-tools/"
        "$py" -m venv .venv-tools
        .venv-tools/bin/python -m pip install --quiet --disable-pip-version-check "uv==$pin"
    fi
    say "syncing .venv-build/ from uv.lock"
    UV_PROJECT_ENVIRONMENT=.venv-build UV_PYTHON_DOWNLOADS=never \
        "$uv" sync --locked --no-dev --group packaging --python "$py" --quiet
}
