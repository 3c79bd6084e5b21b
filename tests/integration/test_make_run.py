import os
import signal
import subprocess
import urllib.request

import pytest

from tests.services import REPO, clean_env, free_port, port_open, wait_until

pytestmark = pytest.mark.integration


def test_make_run_serves_the_home_page_and_websockets_on_its_port(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        ["make", "run", f"PORT={port}"],
        cwd=REPO,
        env=clean_env(SQLITE_PATH=str(tmp_path / "run.sqlite3"), SMILEPAY_LOCAL_DIR=str(tmp_path)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # so the whole make -> uvicorn tree can be stopped
    )
    try:
        wait_until(
            lambda: port_open(port) or process.poll() is not None, timeout=300, what="make run"
        )
        assert process.poll() is None, process.stdout.read().decode()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
            assert response.status == 200
            assert b"Pay with a smile" in response.read()
        # make run compiles the translations: a French browser gets French.
        french = urllib.request.Request(
            f"http://127.0.0.1:{port}/", headers={"Accept-Language": "fr-FR,fr;q=0.9"}
        )
        with urllib.request.urlopen(french, timeout=10) as response:  # noqa: S310 (http only)
            assert "Payez avec un sourire" in response.read().decode()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/css/smilepay.css") as css:
            assert css.status == 200
        # The embedded demo mounts the demo shop (production leaves DEMO_SHOP off).
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/shop/", timeout=10) as shop:
            assert shop.status == 200
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output = process.communicate(timeout=30)[0].decode()
    assert "pairing code" in output, output
