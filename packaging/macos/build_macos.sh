#!/usr/bin/env bash
# Build the macOS app bundle and dmg of Drummond Desktop.
#
#   packaging/macos/build_macos.sh
#
# On macOS 13 or newer (the spec's minimum) with Python >= 3.11 (DRUMMOND_PYTHON chooses the
# interpreter) and the Xcode command line tools:
#   1. syncs .venv-build/ from uv.lock (runtime + the 'packaging' group, as build_linux.sh does)
#   2. runs PyInstaller with packaging/drummond_desktop.spec -> "dist/Drummond Desktop.app"
#   3. signs every Mach-O file and then the bundle (hardened runtime, entitlements.plist)
#   4. runs the frozen `drummond-desktop --self-test` (after signing: a missing entitlement
#      shows up here, as the Numba JIT failing)
#   5. notarises and staples the app, then builds dist/drummond-desktop-VERSION-macos-ARCH.dmg
#      (the app + an /Applications link) with hdiutil, signs, notarises and staples the dmg
#
# Signing needs MACOS_SIGN_IDENTITY (a "Developer ID Application: ..." identity in the keychain);
# notarisation needs APPLE_ID, APPLE_TEAM_ID and APPLE_APP_PASSWORD (an app-specific password).
# Each step is skipped, with a message, when its variables are missing. Secrets are passed to the
# tools, never printed (no `set -x` here).
#
# Reviewed, not run in this project's CI (which has no Mac).
set -euo pipefail

root=$(CDPATH='' cd -- "$(dirname -- "$0")/../.." && pwd)
cd "$root"

APP="dist/Drummond Desktop.app"
EXE="$APP/Contents/MacOS/drummond-desktop"
ENTITLEMENTS="packaging/macos/entitlements.plist"
py=${DRUMMOND_PYTHON:-python3}

say() { printf 'build_macos: %s\n' "$*"; }
die() { printf 'build_macos: error: %s\n' "$*" >&2; exit 1; }

# shellcheck source=packaging/build_env.sh
. packaging/build_env.sh

# Inside out: codesign --deep does not reach loose libraries in Contents/Frameworks' subfolders
# (PySide6, numba, numpy), and notarisation rejects any Mach-O file left with an ad-hoc signature.
sign_app() {
    local f
    xattr -cr "$APP"  # Finder metadata makes codesign fail
    while IFS= read -r -d '' f; do
        case "$(file -b "$f")" in
            *Mach-O*) codesign --force --timestamp --options runtime \
                          --entitlements "$ENTITLEMENTS" --sign "$MACOS_SIGN_IDENTITY" "$f" ;;
        esac
    done < <(find "$APP/Contents" -type f -print0)
    codesign --deep --force --timestamp --options runtime --entitlements "$ENTITLEMENTS" \
        --sign "$MACOS_SIGN_IDENTITY" "$APP"
    codesign --verify --deep --strict --verbose=2 "$APP"
}

self_test() {
    local tmp
    tmp=$(mktemp -d)
    DRUMMOND_DATA_DIR="$tmp/data" DRUMMOND_CONFIG_DIR="$tmp/config" \
        DRUMMOND_CACHE_DIR="$tmp/cache" DRUMMOND_LOG_DIR="$tmp/log" QT_QPA_PLATFORM=offscreen \
        "$EXE" --self-test || die "the frozen self-test failed (its output is above)"
    rm -rf "$tmp"
    say "frozen self-test passed"
}

# notarise FILE: submit and wait; notarytool exits 0 even for an "Invalid" verdict, so read it.
notarise() {
    local result status id
    local auth=(--apple-id "$APPLE_ID" --team-id "$APPLE_TEAM_ID" --password "$APPLE_APP_PASSWORD")
    say "notarising $1 (this takes minutes)"
    result=$(xcrun notarytool submit "$1" "${auth[@]}" --wait --output-format json)
    status=$(printf '%s' "$result" | plutil -extract status raw -o - -)
    id=$(printf '%s' "$result" | plutil -extract id raw -o - -)
    if [ "$status" != "Accepted" ]; then
        xcrun notarytool log "$id" "${auth[@]}" || true
        die "notarisation of $1 returned '$status' (submission $id; Apple's log is above)"
    fi
}

make_dmg() {
    local stage
    stage=$(mktemp -d)
    ditto "$APP" "$stage/Drummond Desktop.app"
    ln -s /Applications "$stage/Applications"
    rm -f "$DMG"
    hdiutil create -volname "Drummond Desktop $version" -srcfolder "$stage" -fs HFS+ \
        -format UDZO -ov "$DMG"
    rm -rf "$stage"
}

[ "$(uname -s)" = "Darwin" ] || die "this script runs on macOS only"
build_env "$py"
version=$(.venv-build/bin/python -c \
    'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
DMG="dist/drummond-desktop-$version-macos-$(uname -m).dmg"
say "building Drummond Desktop $version"
.venv-build/bin/python -m PyInstaller --noconfirm --clean packaging/drummond_desktop.spec
[ -x "$EXE" ] || die "PyInstaller did not produce $EXE"

signed=no
if [ -n "${MACOS_SIGN_IDENTITY:-}" ]; then
    sign_app
    signed=yes
else
    say "MACOS_SIGN_IDENTITY not set: skipping code signing (Gatekeeper will refuse the app on other Macs)"
fi
self_test

notarised=no
if [ "$signed" = no ]; then
    say "skipping notarisation: it needs a signed app"
elif [ -z "${APPLE_ID:-}" ] || [ -z "${APPLE_TEAM_ID:-}" ] || [ -z "${APPLE_APP_PASSWORD:-}" ]; then
    say "APPLE_ID / APPLE_TEAM_ID / APPLE_APP_PASSWORD not all set: skipping notarisation and stapling"
else
    zip="dist/drummond-desktop-$version-notarise.zip"
    ditto -c -k --keepParent "$APP" "$zip"
    notarise "$zip"
    rm -f "$zip"
    # Stapled, the app passes Gatekeeper offline once copied out of the dmg.
    xcrun stapler staple "$APP"
    notarised=yes
fi

make_dmg
if [ "$signed" = yes ]; then
    codesign --force --timestamp --sign "$MACOS_SIGN_IDENTITY" "$DMG"
fi
if [ "$notarised" = yes ]; then
    notarise "$DMG"
    xcrun stapler staple "$DMG"
    xcrun stapler validate "$DMG"
    spctl --assess --type execute --verbose=2 "$APP"
fi
say "done: $DMG (signed: $signed, notarised: $notarised)"
