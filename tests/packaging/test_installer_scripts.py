"""The Windows and macOS installer scripts, checked statically: they cannot run here (no Windows,
no Mac), so these tests hold them to pyproject.toml, the PyInstaller spec and ``core.paths``, and
check that they keep the user's data unless asked and never print a secret."""

from __future__ import annotations

import plistlib
import re
import subprocess
import sys
import tomllib
import uuid
from collections.abc import Callable
from pathlib import Path, PureWindowsPath
from types import SimpleNamespace
from typing import Any, cast

import platformdirs
import pytest
from platformdirs.windows import Windows

from drummond_desktop.core import paths

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
SPEC = PACKAGING / "drummond_desktop.spec"
ISS = PACKAGING / "windows" / "installer.iss"
PS1 = PACKAGING / "windows" / "build_windows.ps1"
MACOS_SH = PACKAGING / "macos" / "build_macos.sh"
ENTITLEMENTS = PACKAGING / "macos" / "entitlements.plist"
APP_NAME = "Drummond Desktop"
FAKE_LOCALAPPDATA = r"C:\Users\trader\AppData\Local"


def _project() -> dict[str, str]:
    with (ROOT / "pyproject.toml").open("rb") as fh:
        project: dict[str, str] = tomllib.load(fh)["project"]
    return project


def _spec_targets(monkeypatch: pytest.MonkeyPatch, platform: str) -> dict[str, list[Any]]:
    """What the spec asks PyInstaller to build on ``platform``: the keyword arguments of each
    EXE, COLLECT and BUNDLE call. PyInstaller's build steps are stood in for by recorders (a
    real build takes minutes and is the Linux build script's job); the spec itself runs as is."""
    if not SPEC.is_file():  # read here, not at import: the spec is written apart from the scripts
        pytest.fail(f"{SPEC.relative_to(ROOT)} is missing: the installers package its output")
    calls: dict[str, list[Any]] = {}

    def recorder(kind: str) -> Callable[..., SimpleNamespace]:
        def build(*args: Any, **kwargs: Any) -> SimpleNamespace:
            calls.setdefault(kind, []).append(kwargs)
            return SimpleNamespace(scripts=[], pure=[], binaries=[], datas=[])
        return build

    namespace = {"SPECPATH": str(PACKAGING), "__file__": str(SPEC),
                 **{kind: recorder(kind) for kind in ("Analysis", "PYZ", "EXE", "COLLECT",
                                                      "BUNDLE")}}
    with monkeypatch.context() as patch:
        patch.setattr(sys, "platform", platform)
        exec(compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), namespace)
    return calls


def _window_exe(targets: dict[str, list[Any]]) -> dict[str, Any]:
    (exe,) = [kw for kw in targets["EXE"] if kw.get("console") is False]
    return cast(dict[str, Any], exe)


def _iss_sections() -> dict[str, list[str]]:
    """Lines of each ``[Section]`` of installer.iss (preprocessor lines under ``#``)."""
    sections: dict[str, list[str]] = {"#": []}
    current = "#"
    for raw in ISS.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if re.fullmatch(r"\[\w+\]", line):
            current = line[1:-1]
            sections.setdefault(current, [])
        elif line.startswith("#"):
            sections["#"].append(line)
        elif line and not line.startswith(";") and not line.startswith("//"):
            sections[current].append(line)
    return sections


def _iss_defines() -> dict[str, str]:
    found = (re.fullmatch(r"#define\s+(\w+)\s+(.+)", line) for line in _iss_sections()["#"])
    return {m[1]: m[2] for m in found if m}


def _iss_expand(value: str) -> str:
    """Replace ``{#Name}`` with the script's defines, as the preprocessor would (a define is a
    string literal or a ``+`` of literals and earlier defines)."""
    defines: dict[str, str] = {}
    for name, expr in _iss_defines().items():
        parts = (part.strip() for part in expr.split("+"))
        defines[name] = "".join(p.strip('"') if p.startswith('"') else defines[p] for p in parts)
    return re.sub(r"\{#(\w+)\}", lambda m: defines[m[1]], value)


def _iss_setup() -> dict[str, str]:
    pairs = (line.split("=", 1) for line in _iss_sections()["Setup"] if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def _iss_entries(section: str) -> list[dict[str, str]]:
    """``Name: "x"; Flags: y`` lines as dicts."""
    entries = []
    for line in _iss_sections()[section]:
        fields = re.findall(r'(\w+):\s*("[^"]*"|[^;]*)', line)
        entries.append({key: value.strip().strip('"') for key, value in fields})
    return entries


# ------------------------------------------------------------------------- Windows: installer.iss

def test_iss_names_and_version_match_pyproject() -> None:
    project, defines, setup = _project(), _iss_defines(), _iss_setup()
    assert defines["AppName"] == f'"{APP_NAME}"'
    assert defines["AppSlug"] == f'"{project["name"]}"'
    assert defines["AppVersion"] == f'"{project["version"]}"', \
        "installer.iss's default AppVersion must equal [project] version in pyproject.toml"
    assert setup["AppName"] == "{#AppName}"
    assert setup["AppVersion"] == "{#AppVersion}"
    # AppId is '{' + '{GUID}' (Inno's escaped brace); a changed id would orphan earlier installs.
    app_id = re.fullmatch(r"\{\{([0-9A-F-]{36})\}", setup["AppId"])
    assert app_id, f"AppId {setup['AppId']!r} is not a fixed GUID"
    assert str(uuid.UUID(app_id[1])).upper() == app_id[1]


def test_iss_installs_per_user_without_admin_rights() -> None:
    setup = _iss_setup()
    assert setup["PrivilegesRequired"] == "lowest"
    assert _iss_expand(setup["DefaultDirName"]) == r"{localappdata}\Programs" + "\\" + APP_NAME
    assert setup["WizardStyle"] == "modern"
    for key in ("SetupIconFile", "LicenseFile"):
        path = ISS.parent / PureWindowsPath(_iss_expand(setup[key])).as_posix()
        assert path.resolve().is_file(), f"installer.iss {key} points at missing {path}"
    icons = _iss_entries("Icons")
    assert [e["Name"] for e in icons] == [r"{autoprograms}\{#AppName}", r"{autodesktop}\{#AppName}"]
    assert icons[1]["Tasks"] == "desktopicon"
    assert {e["Name"] for e in _iss_entries("Tasks")} == {"desktopicon"}


def test_iss_packs_what_the_spec_builds_on_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    targets = _spec_targets(monkeypatch, "win32")
    (collect,) = targets["COLLECT"]
    window = _window_exe(targets)
    (files,) = _iss_entries("Files")
    source = PureWindowsPath(_iss_expand(files["Source"]))
    assert source.name == "*"
    assert (ISS.parent / source.parent.as_posix()).resolve() == ROOT / "dist" / collect["name"]
    assert "recursesubdirs" in files["Flags"]
    assert _iss_expand(_iss_setup()["UninstallDisplayIcon"]) == rf"{{app}}\{window['name']}.exe"
    icon = ISS.parent / PureWindowsPath(_iss_expand(_iss_setup()["SetupIconFile"])).as_posix()
    assert Path(window["icon"]).resolve() == icon.resolve()
    # [InstallDelete] clears {app}\_internal before an upgrade: the spec keeps that layout.
    assert window.get("contents_directory", "_internal") == "_internal"
    assert [e["Name"] for e in _iss_entries("InstallDelete")] == [r"{app}\_internal"]


def test_iss_uninstall_removes_only_the_app_data_dirs(monkeypatch: pytest.MonkeyPatch) -> None:
    # The folders core.paths would use on Windows, from platformdirs' own Windows rules.
    monkeypatch.setattr(platformdirs, "PlatformDirs", Windows)
    monkeypatch.setenv("WIN_PD_OVERRIDE_LOCAL_APPDATA", FAKE_LOCALAPPDATA)
    monkeypatch.setenv("WIN_PD_OVERRIDE_APPDATA", r"C:\Users\trader\AppData\Roaming")
    for name in ("DATA", "CONFIG", "CACHE", "LOG"):
        monkeypatch.delenv(f"DRUMMOND_{name}_DIR", raising=False)
    dirs = {fn.__name__: PureWindowsPath(str(fn(create=False)).replace("/", "\\"))
            for fn in (paths.user_data_dir, paths.user_config_dir, paths.user_cache_dir,
                       paths.user_log_dir, paths.numba_cache_dir)}

    code = "\n".join(_iss_sections()["Code"])
    root_const = re.findall(r"UserDataRoot\s*=\s*'([^']*)'", code)
    assert len(root_const) == 1, "expected one UserDataRoot constant in installer.iss [Code]"
    root = PureWindowsPath(root_const[0].replace("{localappdata}", FAKE_LOCALAPPDATA))
    assert root == dirs["user_data_dir"], dirs
    for name, path in dirs.items():
        assert path.is_relative_to(root), f"{name} {path} is outside what the uninstaller removes"
    install = PureWindowsPath(_iss_expand(_iss_setup()["DefaultDirName"])
                              .replace("{localappdata}", FAKE_LOCALAPPDATA))
    assert not PureWindowsPath(str(install).lower()).is_relative_to(str(root).lower())

    # The only deletion is DelTree(Dir) with Dir = that folder, and only after a Yes.
    removals = re.findall(r"\b(DelTree|DeleteFile|DelayDeleteFile|RemoveDir)\(([^,)]*)", code)
    assert removals == [("DelTree", "Dir")]
    assert re.findall(r"\bDir\s*:=\s*([^;]*);", code) == ["ExpandConstant(UserDataRoot)"]
    assert re.findall(r"'(\{\w+\}[^']*)'", code) == [root_const[0]]
    question = code[code.index("SuppressibleMsgBox('Also remove my data?"):code.index("DelTree")]
    assert "MB_YESNO or MB_DEFBUTTON2, IDNO) <> IDYES then" in question
    assert "usPostUninstall" in code
    # Nothing else is deleted on uninstall beyond what Setup installed.
    assert "UninstallDelete" not in _iss_sections()


def test_iss_signing_is_optional_and_wired_to_the_build_script() -> None:
    text = ISS.read_text(encoding="utf-8")
    guarded = re.search(r"#ifdef SignToolName\s*\nSignTool=\{#SignToolName\}\s*\n"
                        r"SignedUninstaller=yes\s*\n#endif", text)
    assert guarded, "SignTool must be set only when build_windows.ps1 passes /DSignToolName"
    ps1 = PS1.read_text(encoding="utf-8")
    tool = re.search(r"/DSignToolName=(\w+)", ps1)
    assert tool and f"/S{tool[1]}=" in ps1
    assert "$f" in ps1[ps1.index(f"/S{tool[1]}="):]


# ------------------------------------------------------------------ Windows: build_windows.ps1

def test_ps1_builds_tests_and_compiles_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    ps1 = PS1.read_text(encoding="utf-8")
    targets = _spec_targets(monkeypatch, "win32")
    (collect,) = targets["COLLECT"]
    for exe in targets["EXE"]:  # both executables are checked for, and signed
        assert f"'dist\\{collect['name']}\\{exe['name']}.exe'" in ps1, exe["name"]
    steps = ["uv sync --locked --no-dev --group packaging", "-m PyInstaller",
             "Invoke-SelfTest\n", "& $iscc @isccArgs $Iss"]
    where = [ps1.find(step) for step in steps]
    assert -1 not in where and where == sorted(where), dict(zip(steps, where, strict=True))
    assert "$env:UV_PROJECT_ENVIRONMENT = $BuildVenv" in ps1
    assert "$BuildVenv = Join-Path $Root '.venv-build'" in ps1
    assert "'packaging\\drummond_desktop.spec'" in ps1
    assert "-ArgumentList '--self-test'" in ps1
    assert "['project']['version']" in ps1
    assert '$isccArgs = @("/DAppVersion=$Version")' in ps1
    assert "Join-Path $PSScriptRoot 'installer.iss'" in ps1


def test_ps1_never_prints_or_passes_on_the_certificate_password() -> None:
    lines = PS1.read_text(encoding="utf-8").splitlines()
    assert not [ln for ln in lines if re.search(r"Start-Transcript|Set-PSDebug", ln)]
    uses = [ln.strip() for ln in lines if "$env:WINDOWS_CERT_PASSWORD" in ln]
    assert uses, "build_windows.ps1 no longer reads WINDOWS_CERT_PASSWORD"
    for line in uses:
        # Only the presence check and the in-process certificate import may read it: never a
        # message, never a native command line (signtool and iscc get the thumbprint).
        assert line.startswith("if (-not") or "X509Certificate2]::new(" in line, line
        assert not re.search(r"\b(Say|Write-\w+|echo)\b", line), line


# ------------------------------------------------------------------------------------- macOS

def test_entitlements_allow_the_numba_jit_and_nothing_else() -> None:
    with ENTITLEMENTS.open("rb") as fh:
        entitlements = plistlib.load(fh)
    # Numba (LLVM) writes machine code at run time under the hardened runtime; every bundled
    # library is signed with the app's identity, so library validation stays on (README).
    assert entitlements == {"com.apple.security.cs.allow-jit": True,
                            "com.apple.security.cs.allow-unsigned-executable-memory": True}


def test_macos_script_matches_the_spec_and_signs_notarises_and_staples(
        monkeypatch: pytest.MonkeyPatch) -> None:
    script = MACOS_SH.read_text(encoding="utf-8")
    assert 'ENTITLEMENTS="packaging/macos/entitlements.plist"' in script
    assert ". packaging/build_env.sh" in script and 'build_env "$py"' in script
    shared = (ROOT / "packaging" / "build_env.sh").read_text(encoding="utf-8")
    assert "UV_PROJECT_ENVIRONMENT=.venv-build" in shared
    assert "sync --locked --no-dev --group packaging" in shared
    assert "-m PyInstaller --noconfirm --clean packaging/drummond_desktop.spec" in script
    assert '--options runtime --entitlements "$ENTITLEMENTS"' in script
    assert '--sign "$MACOS_SIGN_IDENTITY" "$APP"' in script
    assert "ln -s /Applications" in script and "hdiutil create" in script
    assert ('--apple-id "$APPLE_ID" --team-id "$APPLE_TEAM_ID" --password "$APPLE_APP_PASSWORD"'
            in script)
    assert "notarytool submit" in script and "--wait" in script
    assert 'xcrun stapler staple "$APP"' in script and 'xcrun stapler staple "$DMG"' in script
    targets = _spec_targets(monkeypatch, "darwin")
    (bundle,) = targets["BUNDLE"]
    assert f'APP="dist/{bundle["name"]}"' in script
    assert f'EXE="$APP/Contents/MacOS/{_window_exe(targets)["name"]}"' in script
    assert bundle["bundle_identifier"] == "com.drummond-desktop.app"
    assert bundle["version"] == _project()["version"]


def test_macos_script_skips_each_secret_step_with_a_message_and_never_prints_a_secret() -> None:
    lines = MACOS_SH.read_text(encoding="utf-8").splitlines()
    assert not [ln for ln in lines if re.search(r"^\s*set\s+(-\w*x|-o\s+xtrace)", ln)]
    messages = [ln for ln in lines if re.match(r"\s*(say|die|echo|printf)\b", ln)]
    for var in ("MACOS_SIGN_IDENTITY", "APPLE_ID", "APPLE_TEAM_ID", "APPLE_APP_PASSWORD"):
        assert any(var in ln and "not" in ln and "set" in ln for ln in messages), \
            f"no 'skipping' message names {var}"
        assert not [ln for ln in messages if re.search(rf"\$\{{?{var}\b", ln)], var


# -------------------------------------------------------------------------- all shell scripts

@pytest.mark.parametrize("script", sorted(PACKAGING.rglob("*.sh")), ids=lambda p: p.name)
def test_shell_scripts_parse(script: Path) -> None:
    proc = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert script.stat().st_mode & 0o111, f"{script} is not executable"
