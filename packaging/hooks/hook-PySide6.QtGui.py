"""Replaces PyInstaller's hook for PySide6.QtGui (hooks in packaging/hooks take precedence):
the same collection, minus Qt plugins a desktop charting app never loads, so neither they nor
the libraries only they link are bundled.

* platforms for embedded boards and remote screens (EGLFS, linuxfb, VNC, Vulkan KHR display)
  and their device integrations; kept: xcb, wayland, offscreen (the headless self-test), minimal,
  and Windows/macOS's own platform plugins;
* ``generic`` input plugins (evdev/TUIO for framebuffer setups; TUIO pulls in QtNetwork);
* image formats the app never reads or writes (it uses PNG, built into QtGui, ICO and SVG);
* the GTK 3 platform theme: it links the system's GTK, and bundling GTK's dependencies (cairo,
  pango, glib) next to a user's own GTK mixes library versions; the Fusion style is used anyway.
"""

from pathlib import Path

from PyInstaller.utils.hooks.qt import add_qt6_dependencies

DROPPED_PLUGIN_TYPES = {"egldeviceintegrations", "generic"}
DROPPED_PLUGINS = {
    "qeglfs", "qlinuxfb", "qminimalegl", "qvkkhrdisplay", "qvnc",  # platforms
    "qgtk3",  # platformthemes
    "qgif", "qicns", "qjpeg", "qtga", "qtiff", "qwbmp", "qwebp",  # imageformats
}


def _keep(src: str, dest_dir: str) -> bool:
    if "plugins" not in Path(dest_dir).parts:
        return True
    stem = Path(src).name.split(".")[0].removeprefix("lib")
    return Path(dest_dir).name not in DROPPED_PLUGIN_TYPES and stem not in DROPPED_PLUGINS


hiddenimports, binaries, datas = add_qt6_dependencies(__file__)
binaries = [(src, dest) for src, dest in binaries if _keep(src, dest)]
