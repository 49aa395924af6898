"""Session fixtures of the dashboard's browser tests: one `sandcastle serve`, one headless Debian
Chromium (Playwright from PyPI, never `playwright install`), one signed-in page reused by the
tests, and fresh contexts for the tests that need their own cookies.

Settings (environment):
  SANDCASTLE_BIN        the binary to serve (default .build/debug/sandcastle)
  SANDCASTLE_UI_ASSETS  the folder scripts/ui-assets built (default ~/.cache/sandcastle/ui-assets)
  CHROMIUM              the browser (default /usr/bin/chromium)
  BROWSER_ARTIFACTS     where screenshots and the server's log go (default .build/browser-artifacts)
Anything missing fails every test with what to install or build; nothing is skipped.
"""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, expect, sync_playwright

from harness.api import API
from harness.dashboard import Dashboard, Screenshots
from harness.server import ServedSandcastle
from harness.watch import PageWatch

ROOT = Path(__file__).resolve().parents[2]
VIEWPORT = {"width": 1280, "height": 800}

# Live updates and runs in real sandboxes take seconds, not the default 5 s of a slow machine.
expect.set_options(timeout=15_000)


def _from_root(value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else ROOT / path


@pytest.fixture(scope="session")
def artifacts() -> Path:
    folder = _from_root(os.environ.get("BROWSER_ARTIFACTS", ".build/browser-artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    # Only this run's pictures, so a person looking at the folder sees what this run saw.
    for old in folder.glob("*.png"):
        old.unlink()
    return folder


@pytest.fixture(scope="session")
def chromium() -> str:
    path = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(f"no Chromium at {path}: apt-get install chromium (scripts/test-browser installs it), or set CHROMIUM")
    return path


@pytest.fixture(scope="session")
def ui_assets() -> Path:
    default = Path.home() / ".cache/sandcastle/ui-assets"
    folder = Path(os.environ.get("SANDCASTLE_UI_ASSETS") or default)
    if not (folder / "xterm.js").is_file():
        pytest.fail(f"no browser assets in {folder} (xterm.js): run scripts/ui-assets (or set SANDCASTLE_UI_ASSETS)")
    return folder


@pytest.fixture(scope="session")
def binary() -> Path:
    path = _from_root(os.environ.get("SANDCASTLE_BIN", ".build/debug/sandcastle"))
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"no sandcastle binary at {path}: swift build --product sandcastle (or set SANDCASTLE_BIN)")
    return path


@pytest.fixture(scope="session")
def server(binary: Path, artifacts: Path, ui_assets: Path):
    if shutil.which("docker") is None:
        pytest.fail("the docker CLI is missing: the runs and sandboxes these tests watch need a Docker engine (scripts/setup)")
    image = subprocess.run(["docker", "image", "inspect", "sandcastle/base:latest"], capture_output=True, check=False)
    if image.returncode != 0:
        pytest.fail("the sandcastle/base image is missing: the test workflows and the terminal's sandbox run in it (scripts/setup)")
    with tempfile.TemporaryDirectory(prefix="sandcastle-browser-") as work:
        served = ServedSandcastle(binary, Path(work), ui_assets, artifacts / "server.log")
        served.start()
        try:
            yield served
        finally:
            stopped = served.stop()
            left = served.leftovers()
            served.remove(left)
            assert stopped, f"sandcastle serve (pid {served.process.pid}) was still running 30 s after SIGTERM and was killed"
            assert not left, f"the server left Docker objects behind (removed now): {left}"


@pytest.fixture(scope="session")
def api(server: ServedSandcastle) -> API:
    return API(server.url, server.admin_key)


@pytest.fixture(scope="session")
def browser(chromium: str):
    with sync_playwright() as playwright:
        # --no-sandbox: the tests run as root in CI, where Chromium's own sandbox cannot start.
        launched = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"], headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def shots(artifacts: Path) -> Screenshots:
    return Screenshots(artifacts)


def _new_dashboard(browser: Browser, server: ServedSandcastle, shots: Screenshots, **options) -> tuple[BrowserContext, Dashboard]:
    context = browser.new_context(viewport=VIEWPORT, **options)
    # Waiting longer than this for one element means the page is wrong, not slow.
    context.set_default_timeout(15_000)
    page = context.new_page()
    return context, Dashboard(page, server.url, shots, PageWatch(page))


@pytest.fixture(scope="session")
def session_dashboard(browser: Browser, server: ServedSandcastle, shots: Screenshots):
    """The page most tests share, signed in once with the admin key."""
    context, dashboard = _new_dashboard(browser, server, shots, color_scheme="light")
    dashboard.sign_in_to(server.admin_key)
    try:
        yield dashboard
    finally:
        context.close()


@pytest.fixture
def ui(session_dashboard: Dashboard, request: pytest.FixtureRequest):
    """The shared signed-in page, named after the test; fails the test on what the page did wrong."""
    session_dashboard.watch.reset()
    session_dashboard.test_name = request.node.name
    yield session_dashboard
    session_dashboard.watch.check(f"{request.node.name}: the page misbehaved")


@pytest.fixture
def fresh_dashboard(browser: Browser, server: ServedSandcastle, shots: Screenshots, request: pytest.FixtureRequest):
    """Makes pages in new browser contexts (no cookies), each checked like the shared one."""
    opened: list[tuple[BrowserContext, Dashboard]] = []

    def make(**options) -> Dashboard:
        context, dashboard = _new_dashboard(browser, server, shots, **options)
        dashboard.test_name = request.node.name
        opened.append((context, dashboard))
        return dashboard

    yield make
    try:
        for _, dashboard in opened:
            dashboard.watch.check(f"{request.node.name}: a fresh page misbehaved")
    finally:
        for context, _ in opened:
            context.close()
