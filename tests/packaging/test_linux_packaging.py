"""The Linux packaging, checked fast and statically (the real build - minutes of PyInstaller -
runs in CI through packaging/build_linux.sh): the spec, the numba runtime hook and cache locator,
the .desktop entry and .deb control file, the icon writers, and the build checker's verdicts."""

from __future__ import annotations

import configparser
import importlib.util
import os
import shutil
import struct
import subprocess
import sys
import textwrap
import tomllib
from collections.abc import Callable
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from drummond_desktop.core import paths

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
SPEC = PACKAGING / "drummond_desktop.spec"
RTHOOK = PACKAGING / "hooks" / "rthook_numba_cache.py"
LOCATOR_DIR = PACKAGING / "frozen"
DESKTOP = PACKAGING / "linux" / "drummond-desktop.desktop"
CONTROL = PACKAGING / "linux" / "control.in"
ICONS = ROOT / "resources" / "icons"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _load(name: str) -> ModuleType:
    """A module of packaging/ by path (packaging/ is no package: its name is PyPI's)."""
    spec = importlib.util.spec_from_file_location(name, PACKAGING / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    sys.path.insert(0, str(PACKAGING))  # its siblings, as when run as a script
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(PACKAGING))
    return module


def _project() -> dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as fh:
        return dict(tomllib.load(fh)["project"])


# ---------------------------------------------------------------- the spec

def _run_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
              platform: str) -> dict[str, list[tuple[tuple[Any, ...], dict[str, Any]]]]:
    """Execute the spec as PyInstaller would, with its build steps replaced by recorders (the
    spec's own code - strip, filters, the CLI link - runs for real on the recorded lists)."""
    calls: dict[str, list[tuple[tuple[Any, ...], dict[str, Any]]]] = {}

    def recorder(kind: str) -> Callable[..., SimpleNamespace]:
        def build(*args: Any, **kwargs: Any) -> SimpleNamespace:
            calls.setdefault(kind, []).append((args, kwargs))
            if kind == "COLLECT":  # PyInstaller writes the folder while constructing COLLECT
                (tmp_path / "dist" / kwargs["name"]).mkdir(parents=True, exist_ok=True)
            scripts = [("pyi_rth_inspect", "/x/pyi_rth_inspect.py", "PYSOURCE"),
                       (Path(args[0][0]).stem, args[0][0], "PYSOURCE")
                       ] if kind == "Analysis" else []
            return SimpleNamespace(scripts=scripts, pure=[], binaries=[], datas=[])
        return build

    namespace = {"SPECPATH": str(PACKAGING), "DISTPATH": str(tmp_path / "dist"),
                 "workpath": str(tmp_path / "work"), "__file__": str(SPEC),
                 **{kind: recorder(kind) for kind in
                    ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE")}}
    monkeypatch.setattr(sys, "platform", platform)
    exec(compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), namespace)
    return calls


def test_spec_analysis_names_entry_points_excludes_hooks_and_engine_sources(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _run_spec(tmp_path, monkeypatch, "linux")
    (args, kw), = calls["Analysis"]
    assert [Path(s) for s in args[0]] == [PACKAGING / "entry_desktop.py"]
    assert [Path(h) for h in kw["runtime_hooks"]] == [RTHOOK]
    assert Path(kw["hookspath"][0]) == PACKAGING / "hooks"
    assert kw["module_collection_mode"] == {"engine": "pyz+py"}
    assert (str(ROOT / "resources"), "resources") in kw["datas"]
    migrations = {Path(src).name for src, _ in kw["datas"] if "migrations" in src}
    assert {"env.py", "market_0001_initial.py", "user_0001_initial.py"} <= migrations
    for module in ("PySide6.QtQml", "PySide6.QtQuick", "PySide6.Qt3DCore", "PySide6.QtNetwork",
                   "PySide6.QtMultimedia", "PySide6.QtWebEngineCore", "PySide6.QtPdf",
                   "PySide6.QtCharts", "PySide6.QtDataVisualization", "tkinter", "IPython",
                   "matplotlib", "pyqtgraph.opengl"):
        assert module in kw["excludes"], module
    # What the app and pyqtgraph import must not be excluded.
    for module in ("PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets", "PySide6.QtOpenGL",
                   "PySide6.QtOpenGLWidgets", "PySide6.QtSvg", "numpy", "numba", "keyring"):
        assert module not in kw["excludes"], module
    assert {"drummond_numba_locator", "keyring.backends.SecretService", "secretstorage",
            "jeepney"} <= set(kw["hiddenimports"])


def test_spec_builds_one_onedir_named_from_pyproject_with_the_cli_as_a_link_on_linux(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _run_spec(tmp_path, monkeypatch, "linux")
    name = _project()["name"]
    [(_, exe)] = [(a, k) for a, k in calls["EXE"]]
    assert exe["name"] == name and exe["exclude_binaries"] and not exe["upx"]
    [(_, coll)] = calls["COLLECT"]
    assert coll["name"] == name
    link = tmp_path / "dist" / name / "drummond"
    assert link.is_symlink() and os.readlink(link) == name
    assert "BUNDLE" not in calls


def test_spec_on_windows_and_macos_adds_the_console_cli_and_the_platform_icon(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for platform, icon in (("win32", ".ico"), ("darwin", ".icns")):
        calls = _run_spec(tmp_path / platform, monkeypatch, platform)
        exes = {kw["name"]: (args, kw) for args, kw in calls["EXE"]}
        assert set(exes) == {"drummond-desktop", "drummond"}
        assert exes["drummond"][1]["console"] and not exes["drummond-desktop"][1]["console"]
        cli_scripts = exes["drummond"][0][1]
        assert cli_scripts[-1][0] == "entry_cli" and "entry_desktop" not in str(cli_scripts)
        assert all(Path(kw["icon"]).suffix == icon and Path(kw["icon"]).is_file()
                   for _, kw in calls["EXE"])
    bundle = calls["BUNDLE"][0][1]
    plist = bundle["info_plist"]
    assert bundle["bundle_identifier"] == "com.drummond-desktop.app"
    assert plist["CFBundleShortVersionString"] == _project()["version"]
    assert plist["NSHighResolutionCapable"] is True and plist["LSMinimumSystemVersion"]


def test_qtgui_hook_drops_embedded_platforms_and_the_gtk_theme_only(
        monkeypatch: pytest.MonkeyPatch) -> None:
    plugins = "PySide6/Qt/plugins"
    kept = ["platforms/libqxcb.so", "platforms/libqwayland.so", "platforms/libqoffscreen.so",
            "platformthemes/libqxdgdesktopportal.so", "imageformats/libqsvg.so",
            "xcbglintegrations/libqxcb-glx-integration.so", "platforms/qwindows.dll",
            "platforms/libqcocoa.dylib"]
    dropped = ["platforms/libqvnc.so", "platforms/libqeglfs.so", "generic/libqtuiotouch.so",
               "platformthemes/libqgtk3.so", "egldeviceintegrations/libqeglfs-kms.so",
               "imageformats/libqtiff.so"]
    collected = [(f"/site/{plugins}/{p}", str(Path(plugins, p).parent)) for p in kept + dropped]
    collected.append(("/site/PySide6/Qt/lib/libQt6Gui.so.6", "PySide6/Qt/lib"))
    # PyInstaller is not in the dev environment: its collector is stood in for by the list above.
    qt = ModuleType("PyInstaller.utils.hooks.qt")
    qt.__dict__["add_qt6_dependencies"] = lambda hook_file: (["PySide6.QtCore"], collected, [])
    for name in ("PyInstaller", "PyInstaller.utils", "PyInstaller.utils.hooks"):
        monkeypatch.setitem(sys.modules, name, ModuleType(name))
    monkeypatch.setitem(sys.modules, qt.__name__, qt)
    hook = PACKAGING / "hooks" / "hook-PySide6.QtGui.py"
    namespace: dict[str, Any] = {"__file__": str(hook)}
    exec(compile(hook.read_text(encoding="utf-8"), str(hook), "exec"), namespace)
    left = {src.split(f"{plugins}/")[-1] for src, _ in namespace["binaries"]}
    assert left == {*kept, "/site/PySide6/Qt/lib/libQt6Gui.so.6"}
    assert namespace["hiddenimports"] == ["PySide6.QtCore"]


def test_entry_desktop_runs_the_cli_under_the_name_drummond(tmp_path: Path) -> None:
    link = tmp_path / "drummond"
    link.symlink_to(PACKAGING / "entry_desktop.py")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, str(link), "--help"], capture_output=True,
                            text=True, env=env, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: drummond ")  # the CLI's parser, not the window's


# ---------------------------------------------------------------- numba in the frozen app

def _run_hook(env: dict[str, str], frozen: bool = False) -> dict[str, str]:
    code = textwrap.dedent(f"""
        import json, os, runpy, sys
        if {frozen!r}:
            sys.frozen = True
        runpy.run_path({str(RTHOOK)!r})
        print(json.dumps({{k: v for k, v in os.environ.items() if k.startswith("NUMBA_")}}))
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**env, "PYTHONPATH": str(ROOT)}, timeout=120, check=True)
    import json

    return dict(json.loads(result.stdout))


def test_runtime_hook_sets_numba_cache_dir_to_the_apps_own(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env["DRUMMOND_CACHE_DIR"] = str(tmp_path / "cache")
    monkeypatch.setenv("DRUMMOND_CACHE_DIR", str(tmp_path / "cache"))
    set_by_hook = _run_hook(env)
    assert set_by_hook["NUMBA_CACHE_DIR"] == str(paths.numba_cache_dir())
    assert Path(set_by_hook["NUMBA_CACHE_DIR"]).is_dir()
    assert "NUMBA_CACHE_LOCATOR_CLASSES" not in set_by_hook  # only a frozen app needs it
    assert _run_hook({**env, "NUMBA_CACHE_DIR": "/elsewhere"})["NUMBA_CACHE_DIR"] == "/elsewhere"
    assert _run_hook({**env, "NUMBA_CACHE_DIR": ""})["NUMBA_CACHE_DIR"] == set_by_hook[
        "NUMBA_CACHE_DIR"]
    frozen = _run_hook(env, frozen=True)
    assert frozen["NUMBA_CACHE_LOCATOR_CLASSES"].startswith(
        "drummond_numba_locator.BundledSourceLocator,")


KERNEL_SOURCE = textwrap.dedent("""
    import numba
    @numba.njit(cache=True)
    def twice(x):
        return 2.0 * x
""")


def test_bundled_source_locator_caches_a_frozen_module_in_numba_cache_dir(
        tmp_path: Path) -> None:
    """A module compiled the way PyInstaller stores it (relative co_filename, .py beside it in
    the bundle, another working directory): its kernel is cached in NUMBA_CACHE_DIR and the
    next process loads it from there."""
    bundle, cache, cwd = tmp_path / "bundle", tmp_path / "cache", tmp_path / "cwd"
    (bundle / "pkg").mkdir(parents=True)
    cwd.mkdir()
    (bundle / "pkg" / "kern.py").write_text(KERNEL_SOURCE, encoding="utf-8")
    code = textwrap.dedent(f"""
        import sys, types
        sys.frozen, sys._MEIPASS = True, {str(bundle)!r}
        # A module as PyInstaller's importer makes it: in sys.modules (numba re-imports it to
        # load a cached kernel), its code compiled with the relative file name.
        pkg, mod = types.ModuleType("pkg"), types.ModuleType("pkg.kern")
        pkg.__path__ = []
        sys.modules.update({{"pkg": pkg, "pkg.kern": mod}})
        source = open({str(bundle / "pkg" / "kern.py")!r}).read()
        exec(compile(source, "pkg/kern.py", "exec"), mod.__dict__)
        assert mod.twice(2.5) == 5.0
        print(sum(mod.twice.stats.cache_hits.values()))
    """)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env.update(NUMBA_CACHE_DIR=str(cache), PYTHONPATH=str(LOCATOR_DIR),
               NUMBA_CACHE_LOCATOR_CLASSES="drummond_numba_locator.BundledSourceLocator")
    hits = []
    for _ in range(2):
        result = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env,
                                capture_output=True, text=True, timeout=300, check=False)
        assert result.returncode == 0, result.stderr
        hits.append(result.stdout.strip())
    assert hits == ["0", "1"]
    assert [p.suffix for p in sorted(cache.rglob("*.nb*"))] == [".nbc", ".nbi"]
    assert not list(bundle.rglob("*.nb*")) and not list(cwd.rglob("*"))


# ---------------------------------------------------------------- .desktop entry, .deb control

def test_desktop_entry_names_the_app_its_command_and_icon() -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DESKTOP, encoding="utf-8")
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Drummond Desktop"
    assert entry["Exec"].split()[0] == _project()["name"]
    assert (ICONS / f"{entry['Icon']}.png").is_file()
    categories = entry["Categories"].split(";")
    assert categories[-1] == "" and "Office" in categories  # ';'-terminated, a main category
    if shutil.which("desktop-file-validate"):
        subprocess.run(["desktop-file-validate", str(DESKTOP)], check=True)


def test_deb_control_template_has_the_required_fields_and_qt_xcb_dependencies() -> None:
    fields = dict(line.split(": ", 1) for line in CONTROL.read_text(encoding="utf-8").splitlines()
                  if line and not line.startswith(" "))
    assert {"Package", "Version", "Architecture", "Maintainer", "Depends",
            "Description"} <= set(fields)
    assert fields["Package"] == _project()["name"]
    depends = {alt.split()[0] for dep in fields["Depends"].split(",")
               for alt in dep.split("|")}
    assert {"libxkbcommon-x11-0", "libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1",
            "libegl1", "libfontconfig1", "libdbus-1-3", "libc6"} <= depends


def test_build_script_is_valid_shell() -> None:
    subprocess.run(["bash", "-n", str(PACKAGING / "build_linux.sh")], check=True)
    if shutil.which("shellcheck"):
        # -x: follow `. packaging/build_env.sh` (paths relative to the repository root)
        subprocess.run(["shellcheck", "-x", str(PACKAGING / "build_linux.sh")], check=True,
                       cwd=PACKAGING.parent)


# ---------------------------------------------------------------- icons

def read_ico(data: bytes) -> list[tuple[int, bytes]]:
    """(size in px, payload) per directory entry of an ICO file; checks the container."""
    reserved, kind, count = struct.unpack_from("<HHH", data)
    assert (reserved, kind) == (0, 1) and count > 0
    entries = []
    for i in range(count):
        w, h, colours, _, planes, bpp, size, offset = struct.unpack_from(
            "<BBBBHHII", data, 6 + 16 * i)
        assert w == h and colours == 0 and planes == 1 and bpp == 32
        assert offset + size <= len(data)
        entries.append((w or 256, data[offset:offset + size]))
    return entries


def read_icns(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, payload) per entry of an ICNS file; checks the container's lengths."""
    assert data[:4] == b"icns" and struct.unpack_from(">I", data, 4)[0] == len(data)
    entries, pos = [], 8
    while pos < len(data):
        kind, length = data[pos:pos + 4], struct.unpack_from(">I", data, pos + 4)[0]
        assert length > 8 and pos + length <= len(data)
        entries.append((kind, data[pos + 8:pos + length]))
        pos += length
    assert pos == len(data)
    return entries


def _png_size(qapp: Any, payload: bytes) -> tuple[int, int]:
    from PySide6.QtGui import QImage

    assert payload.startswith(PNG_MAGIC)
    image = QImage()
    assert image.loadFromData(payload), "payload is not a loadable PNG"
    return image.width(), image.height()


def test_ico_writer_round_trips_png_entries(qapp: Any) -> None:
    icons = _load("make_icons")
    pngs = {size: icons.render_png(size) for size in (16, 48, 256)}
    entries = read_ico(icons.ico_bytes(pngs))
    assert [(size, _png_size(qapp, payload)) for size, payload in entries] == [
        (16, (16, 16)), (48, (48, 48)), (256, (256, 256))]
    with pytest.raises(ValueError, match=r"1\.\.256"):
        icons.ico_bytes({512: pngs[256]})


def test_icns_writer_round_trips_png_entries(qapp: Any) -> None:
    icons = _load("make_icons")
    data = icons.icns_bytes([(b"ic07", icons.render_png(128)), (b"ic08", icons.render_png(256))])
    assert [(kind, _png_size(qapp, payload)) for kind, payload in read_icns(data)] == [
        (b"ic07", (128, 128)), (b"ic08", (256, 256))]
    with pytest.raises(ValueError, match="4 bytes"):
        icons.icns_bytes([(b"ic7", b"x")])


def test_committed_icons_parse_and_match_the_generator_sizes(qapp: Any) -> None:
    icons = _load("make_icons")
    assert _png_size(qapp, (ICONS / "drummond-desktop.png").read_bytes()) == (512, 512)
    ico = read_ico((ICONS / "drummond-desktop.ico").read_bytes())
    assert [(size, _png_size(qapp, p)) for size, p in ico] == [
        (s, (s, s)) for s in icons.ICO_SIZES]
    icns = read_icns((ICONS / "drummond-desktop.icns").read_bytes())
    assert [(kind, _png_size(qapp, p)) for kind, p in icns] == [
        (kind, (s, s)) for kind, s in icons.ICNS_TYPES.items()]
    assert (ICONS / "drummond-desktop.svg").read_text(encoding="utf-8").startswith("<svg ")


def test_rendered_logo_is_not_blank(qapp: Any) -> None:
    from PySide6.QtGui import QImage

    image = QImage()
    image.loadFromData(_load("make_icons").render_png(64))
    colours = {image.pixel(x, y) for x in range(0, 64, 2) for y in range(0, 64, 2)}
    assert len(colours) > 20
    assert image.pixelColor(0, 0).alpha() == 0 and image.pixelColor(32, 32).alpha() == 255


def test_create_qapp_sets_the_window_icon_and_desktop_file_name(qapp: Any) -> None:
    from drummond_desktop.app.application import create_qapp

    app = create_qapp()
    assert not app.windowIcon().isNull()
    assert app.desktopFileName() == "drummond-desktop"


# ---------------------------------------------------------------- the build checker's verdicts

def test_measure_env_isolates_user_dirs_and_drops_keys_and_numba_settings(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    measure = _load("measure_build")
    monkeypatch.setenv("DRUMMOND_EODHD_API_KEY", "not-a-real-key")
    monkeypatch.setenv("NUMBA_CACHE_DIR", "/somewhere")
    env = measure.app_env(tmp_path, numba_cache=tmp_path / "nb")
    assert "DRUMMOND_EODHD_API_KEY" not in env
    assert env["NUMBA_CACHE_DIR"] == str(tmp_path / "nb")
    assert {env[f"DRUMMOND_{d}_DIR"] for d in ("DATA", "CONFIG", "CACHE", "LOG")} == {
        str(tmp_path / d) for d in ("data", "config", "cache", "log")}


def test_cache_verdict_needs_files_after_the_first_start_and_none_rewritten() -> None:
    verdict = _load("measure_build")._cache_verdict
    first = {"nb_x/a.nbi": 1, "nb_x/a.1.nbc": 1}
    assert verdict(first, dict(first), Path("c"))[0]
    assert not verdict({}, {}, Path("c"))[0]
    assert not verdict(first, {**first, "nb_x/a.nbi": 2}, Path("c"))[0]
    assert not verdict(first, {**first, "nb_x/b.1.nbc": 3}, Path("c"))[0]


def test_png_check_tells_a_chart_from_a_blank_window(qapp: Any, tmp_path: Path) -> None:
    from PySide6.QtGui import QColor, QImage

    measure = _load("measure_build")
    blank = QImage(800, 600, QImage.Format.Format_RGB32)
    blank.fill(QColor("#202020"))
    blank.save(str(tmp_path / "blank.png"))
    assert "blank" in measure.png_problem(tmp_path / "blank.png")
    assert measure.png_problem(tmp_path / "missing.png") is not None
    logo = QImage()
    logo.loadFromData(_load("make_icons").render_png(512))
    logo.save(str(tmp_path / "logo.png"))
    assert measure.png_problem(tmp_path / "logo.png") is None
