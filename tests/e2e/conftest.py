"""Helpers for real-browser tests: a live uvicorn server, Chromium with a fake camera, and
a .y4m maker that turns photographs into that camera's video.

How the live server works (and why)
-----------------------------------
`smilepay_server` (not pytest-django's `live_server`, whose name it avoids) starts
`uvicorn smilepay.asgi:application` as a *subprocess* on a free port, with a database
of its own that it migrates first:

* on PostgreSQL (TEST_DATABASE_URL set): a fresh database `<test db>_live_<random>` on
  the same server, created here and dropped afterwards;
* otherwise: a SQLite file in the test's temporary folder.

The test process talks to the server only over HTTP / websockets (like a browser) and,
when it must prepare or inspect data, through `live.manage(...)` / `live.shell(code)`,
which run management commands against the server's database. This works the same on
SQLite and PostgreSQL, needs no sharing of pytest-django's transaction-wrapped test
database, and exercises the real ASGI stack (uvicorn, Channels, WhiteNoise).

The server gets its own secrets folder (fresh SECRET_KEY, VAPID and face master keys),
SMS through the file backend (`live.sms_codes()` reads the codes texted so far), eager
Celery and the in-memory channel layer; pass `redis_url=` to `start_live_server` for a
server on Redis (a kiosk test that also starts a worker can use `live.env`).

Chromium: `chromium_browser` launches /usr/bin/chromium through Playwright, headless,
with a fake camera playing `camera_video` (a .y4m). When Chromium or ffmpeg is missing
the test calls `service_missing` (skip on a laptop, fail under CI=true).

Example::

    @pytest.mark.browser
    @pytest.mark.integration
    def test_something(smilepay_server, tmp_path):
        video = make_y4m([face_frame(photo_path)], tmp_path / "cam.y4m")
        with chromium_browser(video) as browser:
            page = browser.new_page()
            page.goto(smilepay_server.url + "/kiosk/")
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.services import (
    clean_env,
    free_port,
    run_manage,
    service_missing,
    uvicorn_server,
)

CHROMIUM = os.environ.get("SMILEPAY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]


# --- the live server ------------------------------------------------------------------


@dataclass
class LiveServer:
    url: str
    port: int
    env: dict[str, str]
    tmp: Path

    def manage(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        """Run a management command against the server's database."""
        result = run_manage(*args, env=self.env, timeout=timeout)
        assert result.returncode == 0, result.stderr
        return result

    def shell(self, code: str) -> str:
        """Run Python in `manage.py shell` against the server's database; returns stdout."""
        return self.manage("shell", "--verbosity", "0", "-c", code).stdout

    def shell_value(self, code: str) -> str:
        """The last line `code` printed (the shell may print warnings before it)."""
        return self.shell(code).strip().splitlines()[-1]

    def sms_codes(self) -> list[str]:
        """The one-time codes texted so far, oldest first."""
        path = Path(self.env["SMS_FILE_PATH"])
        if not path.exists():
            return []
        return [
            line.split("code is ")[1][:6]
            for line in path.read_text().splitlines()
            if "code is " in line
        ]

    def log(self) -> str:
        path = self.tmp / "uvicorn.log"
        return path.read_text() if path.exists() else ""


def _maintenance_conninfo(url: str) -> str:
    """The same server's `postgres` database (the test database may not exist yet)."""
    server = url.replace("postgres://", "postgresql://", 1).rsplit("/", 1)[0]
    return server + "/postgres"


def _postgres_live_database(test_url: str) -> tuple[str, str]:
    """Create a fresh database next to the test database; returns (url, name)."""
    import psycopg

    base = test_url.rsplit("/", 1)[1].split("?")[0] or "smilepay"
    name = f"{base}_live_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_maintenance_conninfo(test_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return test_url.rsplit("/", 1)[0] + "/" + name, name


def _drop_postgres_database(test_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(_maintenance_conninfo(test_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def start_live_server(
    tmp: Path, *, redis_url: str | None = None, **env_overrides: str
) -> Iterator[LiveServer]:
    """Migrate a database of its own, start uvicorn on a free port, stop it afterwards."""
    tmp.mkdir(parents=True, exist_ok=True)
    test_db = os.environ.get("TEST_DATABASE_URL", "")
    pg_name = None
    env = clean_env(
        SMILEPAY_LOCAL_DIR=str(tmp / "local"),
        SMS_BACKEND="accounts.sms.FileSmsBackend",
        SMS_FILE_PATH=str(tmp / "sms.log"),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DEBUG="false",
        HTTPS="false",
        PYTHONUNBUFFERED="1",
        # The fake camera plays a video timed for one challenge: neutral, then smile, with
        # no random hold (CAMERA_SMILES_AT_S below); the server still checks the page
        # followed it. Other challenges are tested without a browser (tests/kiosk).
        FACE_CHALLENGES="neutral-smile",
        FACE_CHALLENGE_JITTER_MS="0",
        # The fake camera plays photographs, which presentation-attack detection rightly
        # refuses (tests/settings.py); it is tested on real webcam frames without a browser.
        FACE_PAD_REQUIRED="false",
    )
    if test_db.startswith(("postgres://", "postgresql://")):
        url, pg_name = _postgres_live_database(test_db)
        env["DATABASE_URL"] = url
    else:
        env["SQLITE_PATH"] = str(tmp / "live.sqlite3")
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update(env_overrides)
    try:
        migrated = run_manage("migrate", "--noinput", env=env, timeout=300)
        assert migrated.returncode == 0, migrated.stderr
        # The server knows its own address (links, the demo shop's API base URL).
        port = free_port()
        env.setdefault("SITE_URL", f"http://127.0.0.1:{port}")
        with uvicorn_server(env, tmp / "uvicorn.log", port=port) as port:
            yield LiveServer(url=f"http://127.0.0.1:{port}", port=port, env=env, tmp=tmp)
    finally:
        if pg_name:
            _drop_postgres_database(test_db, pg_name)


@pytest.fixture
def smilepay_server(tmp_path) -> Iterator[LiveServer]:
    """A live uvicorn server on its own database (see the module docstring)."""
    with start_live_server(tmp_path / "live") as server:
        yield server


# --- the fake camera ------------------------------------------------------------------

# With FACE_CHALLENGES=neutral-smile and no jitter (start_live_server), the page asks for
# neutral frames at 0.80-1.55 s and smiling ones at 2.70-3.45 s after the camera starts
# playing (smilepay.faces.challenge.fixed_challenge()). A video that turns to the smiling
# photo at 2.4 s leaves ~0.85 s either side for the page to open the camera late on a
# busy machine.
CAMERA_SMILES_AT_S = 2.4


def face_frame(
    image: Path | bytes, *, size: tuple[int, int] = (640, 480), box=None, face_share=0.45
):
    """A PIL image of `size` for the camera: the photo letterboxed into the frame, or, with
    `box` = (top, right, bottom, left) of the face in the photo, cropped around the face so
    that the face fills `face_share` of the frame height."""
    from PIL import Image

    src = Image.open(io.BytesIO(image) if isinstance(image, bytes) else image).convert("RGB")
    width, height = size
    if box is not None:
        top, right, bottom, left = box
        cx, cy = (left + right) / 2, (top + bottom) / 2
        crop_h = (bottom - top) / face_share
        crop_w = crop_h * width / height
        src = src.crop(
            (int(cx - crop_w / 2), int(cy - crop_h / 2), int(cx + crop_w / 2), int(cy + crop_h / 2))
        )
    src.thumbnail(size)
    frame = Image.new("RGB", size, (40, 40, 40))
    frame.paste(src, ((width - src.width) // 2, (height - src.height) // 2))
    return frame


def make_y4m(frames, out: Path, *, seconds_each: float = 2.0, fps: int = 5) -> Path:
    """Write a .y4m (YUV 4:2:0) that shows each PIL frame for `seconds_each`; Chromium
    loops it. Needs ffmpeg."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        service_missing("ffmpeg is not installed (apt-get install ffmpeg)")
    out.parent.mkdir(parents=True, exist_ok=True)
    listing = out.with_suffix(".txt")
    lines = []
    for i, frame in enumerate(frames):
        still = out.with_name(f"{out.stem}_{i:03d}.png")
        frame.save(still)
        lines += [f"file '{still}'", f"duration {seconds_each}"]
    lines.append(f"file '{out.with_name(f'{out.stem}_{len(frames) - 1:03d}.png')}'")
    listing.write_text("\n".join(lines) + "\n")
    result = subprocess.run(
        [
            ffmpeg,
            "-y",
            "-loglevel",
            "error",
            "-f",
            "concat",
            "-safe",
            "0",
            "-i",
            str(listing),
            "-vf",
            f"fps={fps},format=yuv420p",
            "-pix_fmt",
            "yuv420p",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return out


# --- Chromium ---------------------------------------------------------------------------


def chromium_args(camera_video: Path | None = None) -> list[str]:
    args = list(CHROMIUM_ARGS)
    if camera_video is not None:
        args.append(f"--use-file-for-fake-video-capture={camera_video}")
    return args


@contextlib.contextmanager
def chromium_browser(camera_video: Path | None = None, *, headless: bool = True):
    """Playwright's Browser on the system Chromium, with a fake camera playing the video."""
    if not Path(CHROMIUM).exists():
        service_missing(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        service_missing("playwright is not installed (requirements-dev.txt)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=headless, args=chromium_args(camera_video)
        )
        refused = _watch_content_security_policy(browser)
        try:
            yield browser
        finally:
            browser.close()
    # Every browser test doubles as a check of the site's Content-Security-Policy: a page
    # whose own script or style it refuses is broken for real customers too.
    assert not refused, "the Content-Security-Policy refused:\n" + "\n".join(refused)


def _watch_content_security_policy(browser) -> list[str]:
    """Collect the console's CSP refusals of every context and page the test opens."""
    refused: list[str] = []

    def watch(target):
        target.on(
            "console",
            lambda message: (
                refused.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        return target

    new_context, new_page = browser.new_context, browser.new_page
    browser.new_context = lambda *args, **kwargs: watch(new_context(*args, **kwargs))
    browser.new_page = lambda *args, **kwargs: watch(new_page(*args, **kwargs))
    return refused


SHOTS = os.environ.get("SMILEPAY_SCREENSHOTS")


def keypad_ready(page, *, timeout: float = 60_000) -> None:
    """The kiosk's amount screen, once it takes taps: a tap in its first moments is taken
    for the second half of a double tap on the screen before (static/kiosk/kiosk.js)."""
    page.wait_for_selector("#app[data-state=amount][data-settled=true]", timeout=timeout)


def snap(page, name: str, *, full_page: bool = False) -> None:
    """Keep a screenshot of the page when SMILEPAY_SCREENSHOTS names a folder."""
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=full_page)


@pytest.fixture
def live(tmp_path, redis_url):
    """A server of its own on Redis (websockets across workers), tasks run eagerly."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    with start_live_server(
        tmp_path / "live", redis_url=redis_url, CELERY_TASK_ALWAYS_EAGER="true"
    ) as server:
        yield server


def sign_in(page, email: str, password: str, *, then: str = "") -> None:
    """The sign-in form, as a person fills it; waits for the page it lands on (`then`,
    else the portal, where a customer goes by default)."""
    page.goto(f"/accounts/login/?next={then}" if then else "/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{then or '/me/'}")
