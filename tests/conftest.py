"""Shared fixtures: the offline FSDD copy, small Speech Commands folders, a local file server; and a
counter of the host's waits for a GPU."""
from __future__ import annotations

import http.server
import os
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

HERE = Path(__file__).resolve().parent


@pytest.fixture(autouse=True)
def _check_log_records_chapters_only(monkeypatch):
    """$SCORELAB_CHECK_LOG measures the chapters' checks across CPU code paths; the tests' own
    comparisons (some fail on purpose) would only blur that record."""
    monkeypatch.delenv("SCORELAB_CHECK_LOG", raising=False)
    monkeypatch.delenv("SCORELAB_CHECK_LOG_ONLY", raising=False)


def fsdd_root_or_none() -> Path | None:
    """$SCORELAB_FSDD, else the copy beside the checkout that CI has, else the data home copy."""
    candidates = [os.environ.get("SCORELAB_FSDD"), HERE.parent.parent / "shared/data/fsdd/recordings",
                  HERE.parent / "data/fsdd/recordings"]
    for c in candidates:
        if c and Path(c).is_dir() and any(Path(c).glob("*.wav")):
            return Path(c)
    return None


@pytest.fixture(scope="session")
def fsdd_root() -> Path:
    root = fsdd_root_or_none()
    if root is None:
        pytest.skip("no FSDD recordings: set SCORELAB_FSDD or run `python -m scorelab data fsdd --download`")
    return root


def tone(freq: float, seconds: float, sr: int, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(round(seconds * sr))) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def write_wav(path: Path, data: np.ndarray, sr: int, subtype: str = "PCM_16") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), data, sr, subtype=subtype)
    return path


def make_speech_commands(root: Path, words=("zero", "one", "two"), speakers=("aaaa1111", "bbbb2222", "cccc3333", "dddd4444"),
                         sr: int = 16000) -> Path:
    """A miniature Speech Commands folder: a tone per word and speaker; speaker 3 validates,
    speaker 4 tests; a _background_noise_ folder as in the real archive."""
    for w_i, word in enumerate(words):
        for s_i, spk in enumerate(speakers):
            write_wav(root / word / f"{spk}_nohash_0.wav", tone(200 + 100 * w_i + 10 * s_i, 1.0, sr), sr)
    write_wav(root / "_background_noise_" / "noise.wav", np.zeros(sr, np.float32), sr)
    (root / "validation_list.txt").write_text("".join(f"{w}/{speakers[2]}_nohash_0.wav\n" for w in words))
    (root / "testing_list.txt").write_text("".join(f"{w}/{speakers[3]}_nohash_0.wav\n" for w in words))
    return root


@pytest.fixture
def speech_commands_root(tmp_path) -> Path:
    return make_speech_commands(tmp_path / "sc")


class FileServer:
    """Serves bytes on 127.0.0.1 with optional HTTP Range support and a cut-off for the first
    N requests (to simulate a broken connection). Records the Range headers it saw."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.ranges: list[str | None] = []
        self.support_range = True
        self.cut_after: int | None = None  # bytes sent before dropping the connection
        self.cuts_left = 0
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                data = server.files.get(self.path)
                rng = self.headers.get("Range")
                server.ranges.append(rng)
                if data is None:
                    self.send_error(404)
                    return
                start = 0
                if rng and server.support_range:
                    start = int(rng.split("=")[1].split("-")[0])
                    if start >= len(data):
                        self.send_response(416)
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if server.cuts_left > 0 and server.cut_after is not None:
                    server.cuts_left -= 1
                    self.wfile.write(body[:server.cut_after])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{name}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def file_server():
    server = FileServer()
    yield server
    server.close()


@pytest.fixture
def data_home(tmp_path, monkeypatch) -> Path:
    """An empty data home, so no test reads or writes the user's."""
    home = tmp_path / "home"
    monkeypatch.setenv("SCORELAB_DATA", str(home))
    for var in ("SCORELAB_FSDD", "SCORELAB_SC09", "SCORELAB_SYNTH", "SCORELAB_HIFIGAN"):
        monkeypatch.delenv(var, raising=False)
    return home


def host_waits(run) -> int:
    """How many times `run()` makes the host wait for the GPU, as CUDA's sync debug mode reports them."""
    import torch

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.cuda.set_sync_debug_mode("warn")
        try:
            run()
        finally:
            torch.cuda.set_sync_debug_mode("default")
    return sum("synchroniz" in str(w.message).lower() for w in caught)
