"""A JupyterLab server and a headless Chromium for the browser tests (JUPYTER_TESTING.md, 5).

``LabServer`` starts JupyterLab on a free port with every JUPYTER_* directory inside a
temporary directory, waits until it answers, and on ``stop`` ends it and every kernel it
started, by pid. ``browser_context`` opens Debian's ``/usr/bin/chromium`` through
Playwright (never ``playwright install``) with every request outside 127.0.0.1 aborted;
``missing_browser`` says what to install when either is absent.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import psutil

CHROMIUM = "/usr/bin/chromium"
INSTALL = "apt-get install -y chromium chromium-driver fonts-dejavu-core"  # as .ci/run does
SKIP_ENV = "SYMRULES_SKIP_BROWSER"  # =1: the one way to skip the real-browser tests
TOKEN = "symrules-test-token"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """JupyterLab serving ``root`` from ``home`` (JUPYTER_* dirs), logging to ``log``."""

    def __init__(self, root: Path, home: Path, log: Path, repo: Path) -> None:
        self.root, self.port, self.log_path = root, free_port(), log
        env = dict(os.environ)
        for name, sub in (
            ("JUPYTER_CONFIG_DIR", "config"),
            ("JUPYTER_RUNTIME_DIR", "runtime"),
            ("JUPYTERLAB_SETTINGS_DIR", "settings"),
            ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
            ("IPYTHONDIR", "ipython"),
        ):
            env[name] = str(home / sub)
            (home / sub).mkdir(parents=True, exist_ok=True)
        env["PYTHONPATH"] = os.pathsep.join([str(repo), env.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        )
        # No "get notified about Jupyter news?" toast over the notebook (pitfall B4).
        notification = home / "settings" / "@jupyterlab" / "apputils-extension"
        notification.mkdir(parents=True, exist_ok=True)
        (notification / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False})
        )
        command = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--allow-root",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={TOKEN}",
            f"--ServerApp.root_dir={root}",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
            "--LabApp.expose_app_in_browser=True",
        ]
        self.log = log.open("w")
        self.process = subprocess.Popen(
            command, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Poll ``/api/status`` every 0.25 s; raise with the log's tail if the server dies."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter-lab exited early:\n{self.tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status?token={TOKEN}", timeout=2):
                    return
            except OSError:
                time.sleep(0.25)
        raise RuntimeError(f"jupyter-lab not ready after {timeout} s:\n{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        self.log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM the server (it shuts its kernels down), then SIGKILL whatever is left.

        Kernels run in sessions of their own, so they are remembered by pid first."""
        try:
            children = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            children = []
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        _, alive = psutil.wait_procs(children, timeout=5)
        for child in alive:
            child.kill()
        psutil.wait_procs(alive, timeout=5)
        self.log.close()


def missing_browser() -> str | None:
    """What the real-browser tests lack here (Debian's Chromium, Playwright), else ``None``."""
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is absent: {INSTALL} (as .ci/run does)"
    if importlib.util.find_spec("playwright") is None:
        return "Playwright is absent: .venv/bin/pip install -e '.[test]'"
    return None


def browser_context(playwright: Any, profile: Path) -> Any:
    """A headless Chromium context on a fresh profile; requests off 127.0.0.1 are aborted."""
    context = playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": 1280, "height": 1600},  # room for the whole explorer
    )

    def local_only(route: Any) -> None:
        if route.request.url.startswith(LOCAL):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", local_only)
    return context
