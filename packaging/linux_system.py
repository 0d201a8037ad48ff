"""What the Linux build leaves to the system, checked on the build machine (used by
``measure_build.py``): the Secret Service keyring end to end, and the .deb's Depends against the
shared libraries the bundle needs but does not carry."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

KEYRING_TIMEOUT = 300.0
# Inside a private D-Bus session: an unlocked throw-away keyring, then the frozen self-test.
KEYRING_SCRIPT = """\
set -e
eval "$(printf 'build\\n' | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL
exec "$1" --self-test
"""


def check_keyring(exe: Path, env: dict[str, str], work: Path) -> tuple[bool, str] | None:
    """The frozen app selects the Secret Service backend when a keyring daemon runs: a private
    D-Bus session with gnome-keyring under a throw-away HOME. None when the tools are absent."""
    if not (shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon")):
        return None
    home = work / "keyring-home"
    home.mkdir(parents=True, exist_ok=True)
    env = {**env, "HOME": str(home), "XDG_DATA_HOME": str(home / "share"),
           "XDG_RUNTIME_DIR": str(home / "run")}
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    (home / "run").mkdir(mode=0o700, exist_ok=True)
    result = subprocess.run(["dbus-run-session", "--", "sh", "-c", KEYRING_SCRIPT, "sh",
                             str(exe)], env=env, cwd=work, capture_output=True, text=True,
                            timeout=KEYRING_TIMEOUT, check=False)
    line = next((ln for ln in result.stdout.splitlines() if ln.startswith("keyring")), "")
    if "SecretService" in line and " PASS " in f"{line} ":
        return True, "with gnome-keyring in a private D-Bus session: " + line.split(None, 2)[2]
    return False, (line or f"no keyring line (exit {result.returncode}): "
                   + (result.stderr.strip().splitlines() or ["no output"])[-1][:300])


def external_libraries(dist: Path) -> set[str]:
    """Shared libraries the bundle's ELF files need but do not carry."""
    bundled = {p.name for p in dist.rglob("*.so*")}
    needed: set[str] = set()
    for path in dist.rglob("*"):
        if path.is_file() and not path.is_symlink() and _is_elf(path):
            out = subprocess.run(["readelf", "-d", str(path)], capture_output=True, text=True,
                                 check=False).stdout
            needed.update(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out))
    return needed - bundled


def _is_elf(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(4) == b"\x7fELF"


def _package_owning(path: Path) -> str | None:
    """The Debian package that installed ``path``: dpkg knows the path it unpacked, which on a
    merged-/usr system may be the /lib spelling of a /usr/lib file."""
    real = path.resolve()
    for candidate in (path, real, Path(str(real).replace("/usr/lib/", "/lib/", 1))):
        owner = subprocess.run(["dpkg", "-S", str(candidate)], capture_output=True, text=True,
                               check=False).stdout
        if owner:
            return owner.split(":")[0].strip()
    return None


def check_deb_depends(dist: Path, deb: Path) -> tuple[bool, str]:
    """Every library the bundle leaves to the system maps (on this machine, through ldconfig
    and dpkg) to a package named in the .deb's Depends. What is not installed here cannot be
    mapped and is listed as unchecked."""
    depends = subprocess.run(["dpkg-deb", "-f", str(deb), "Depends"], capture_output=True,
                             text=True, check=True).stdout
    named = set(re.findall(r"([a-z0-9][a-z0-9.+-]+)", re.sub(r"\([^)]*\)", "", depends)))
    cache = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True,
                           check=False).stdout
    missing, unknown = [], []
    for lib in sorted(external_libraries(dist)):
        match = re.search(rf"^\s*{re.escape(lib)} \([^)]*\) => (\S+)", cache, re.M)
        package = _package_owning(Path(match[1])) if match else None
        if package is None:
            unknown.append(lib)
        elif package not in named:
            missing.append(f"{lib} ({package})")
    detail = (f"not in Depends: {', '.join(missing)}" if missing else
              "every system library the bundle needs is covered by Depends")
    if unknown:
        detail += f"; not installed here, so unchecked: {', '.join(unknown)}"
    return not missing, detail
