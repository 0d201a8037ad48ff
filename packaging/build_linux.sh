#!/usr/bin/env bash
# Build the Linux packages of Drummond Desktop and check them.
#
#   packaging/build_linux.sh
#
# Needs Python >= 3.11 (DRUMMOND_PYTHON chooses the interpreter), binutils (strip, readelf) and
# dpkg-deb; desktop-file-validate is used when installed. From the repository root it:
#   1. syncs .venv-build/ from uv.lock: the runtime dependencies and the 'packaging' group
#      (PyInstaller), never the dev tools; the quick start's .venv/ is left alone
#   2. runs PyInstaller with packaging/drummond_desktop.spec (clean) -> dist/drummond-desktop/
#   3. packs dist/drummond-desktop-VERSION-linux-ARCH.tar.gz (the onedir) and
#      dist/drummond-desktop_VERSION_DEBARCH.deb (/opt/drummond-desktop, /usr/bin links,
#      a .desktop entry and the icon)
#   4. runs packaging/measure_build.py: the frozen --self-test on a cold and a warm numba cache,
#      a headless --demo --screenshot, the 350 MB size budget, the frozen self-test on
#      PostgreSQL, the Secret Service keyring in a
#      private D-Bus session (when dbus and gnome-keyring are installed), the .deb's Depends,
#      frozen vs source start times; it writes benchmarks/RESULTS_PACKAGING.md
# Every app start uses throw-away DRUMMOND_*_DIR folders under build/measure/, never a real
# profile. Exits non-zero when a step fails, the self-test, the screenshot or the keyring check
# fails, the kernel cache is not reused, or the onedir is over budget (the start-time ratio and
# the Depends check are reported only).
set -euo pipefail

root=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
cd "$root"
py=${DRUMMOND_PYTHON:-python3}
APP=drummond-desktop
DIST="dist/$APP"
LOG=build/pyinstaller-linux.log

say() { printf 'build_linux: %s\n' "$*"; }
die() { printf 'build_linux: error: %s\n' "$*" >&2; exit 1; }

for tool in strip readelf dpkg-deb; do
    command -v "$tool" >/dev/null || die "$tool is required (binutils / dpkg)"
done

# shellcheck source=packaging/build_env.sh
. packaging/build_env.sh

freeze() {
    mkdir -p build
    say "PyInstaller (log: $LOG)"
    local start=$SECONDS
    if ! .venv-build/bin/python -m PyInstaller --noconfirm --clean --distpath dist \
            --workpath build packaging/drummond_desktop.spec >"$LOG" 2>&1; then
        tail -n 30 "$LOG" >&2
        die "PyInstaller failed (full log: $LOG)"
    fi
    build_seconds=$((SECONDS - start))
    say "PyInstaller done in ${build_seconds} s, $(grep -c 'WARNING:' "$LOG" || true) warnings"
}

make_tarball() {
    tarball="dist/$APP-$version-linux-$(uname -m).tar.gz"
    rm -f "$tarball"
    tar --owner=0 --group=0 --numeric-owner --sort=name -C dist -czf "$tarball" "$APP"
    say "wrote $tarball"
}

make_deb() {
    local stage=build/deb/root icons=usr/share/icons/hicolor
    rm -rf build/deb
    mkdir -p "$stage/opt" "$stage/usr/bin" "$stage/usr/share/applications" \
        "$stage/$icons/512x512/apps" "$stage/$icons/scalable/apps" "$stage/DEBIAN"
    cp -a "$DIST" "$stage/opt/$APP"
    ln -s "/opt/$APP/$APP" "$stage/usr/bin/$APP"
    # `drummond` keeps its name through both links: the executable runs the CLI under it.
    ln -s "/opt/$APP/drummond" "$stage/usr/bin/drummond"
    install -m 644 "packaging/linux/$APP.desktop" "$stage/usr/share/applications/"
    install -m 644 "resources/icons/$APP.png" "$stage/$icons/512x512/apps/"
    install -m 644 "resources/icons/$APP.svg" "$stage/$icons/scalable/apps/"
    if command -v desktop-file-validate >/dev/null; then
        desktop-file-validate "$stage/usr/share/applications/$APP.desktop" \
            || die "the .desktop entry does not validate"
    else
        say "desktop-file-validate not installed: .desktop entry not linted"
    fi
    local glibc installed_size
    local maintainer="Drummond Desktop developers <packaging@drummond-desktop.invalid>"
    maintainer=${DEB_MAINTAINER:-$maintainer}
    glibc=$(getconf GNU_LIBC_VERSION | cut -d' ' -f2)  # the oldest glibc the build runs on
    installed_size=$(du -sk --apparent-size "$stage" | cut -f1)
    sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$(dpkg --print-architecture)/" \
        -e "s/@GLIBC@/$glibc/" -e "s/@INSTALLED_SIZE@/$installed_size/" \
        -e "s|@MAINTAINER@|$maintainer|" \
        packaging/linux/control.in >"$stage/DEBIAN/control"
    deb="dist/${APP}_${version}_$(dpkg --print-architecture).deb"
    rm -f "$deb"
    dpkg-deb --build --root-owner-group "$stage" "$deb" >/dev/null
    say "wrote $deb"
}

build_env "$py"
version=$(.venv-build/bin/python -c \
    'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
freeze
make_tarball
make_deb
say "checking and measuring the build"
status=0
.venv-build/bin/python packaging/measure_build.py --dist "$DIST" --tarball "$tarball" \
    --deb "$deb" --build-seconds "$build_seconds" --build-log "$LOG" || status=$?
if [ "$status" -ne 0 ]; then
    say "FAILED: see the FAIL lines above and benchmarks/RESULTS_PACKAGING.md"
fi
exit "$status"
