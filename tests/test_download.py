"""Downloads against a local file server: resume after a broken connection, restart when the
server ignores ranges, checksum failure, the offline error; then SC09 and FSDD end to end."""
import hashlib
import io
import os
import shutil
import tarfile

import pytest

from conftest import make_speech_commands, tone, write_wav
from scorelab.data import download_fsdd, download_speech_commands, fsdd, sc09
from scorelab.download import DownloadError, OfflineError, download

PAYLOAD = os.urandom(3_000_000)
SHA = hashlib.sha256(PAYLOAD).hexdigest()


def test_download_verifies_and_reuses(file_server, tmp_path):
    file_server.files["/a.bin"] = PAYLOAD
    dest = download(file_server.url("/a.bin"), tmp_path / "a.bin", sha256=SHA, progress=False)
    assert dest.read_bytes() == PAYLOAD
    download(file_server.url("/a.bin"), dest, sha256=SHA, progress=False)
    assert len(file_server.ranges) == 1  # the second call reused the verified file


def test_broken_download_resumes_with_a_range_request(file_server, tmp_path):
    file_server.files["/a.bin"] = PAYLOAD
    file_server.cut_after, file_server.cuts_left = 1_000_000, 1
    dest = tmp_path / "a.bin"
    with pytest.raises(DownloadError, match="run the same command again to resume"):
        download(file_server.url("/a.bin"), dest, sha256=SHA, progress=False)
    part = tmp_path / "a.bin.part"
    kept = part.stat().st_size
    assert not dest.exists() and 0 < kept < len(PAYLOAD)
    download(file_server.url("/a.bin"), dest, sha256=SHA, progress=False)
    assert dest.read_bytes() == PAYLOAD and not part.exists()
    assert file_server.ranges == [None, f"bytes={kept}-"]


def test_server_without_ranges_restarts_cleanly(file_server, tmp_path):
    file_server.files["/a.bin"] = PAYLOAD
    file_server.support_range = False
    (tmp_path / "a.bin.part").write_bytes(PAYLOAD[:12345])
    dest = download(file_server.url("/a.bin"), tmp_path / "a.bin", sha256=SHA, progress=False)
    assert dest.read_bytes() == PAYLOAD


def test_checksum_mismatch_deletes_and_says_so(file_server, tmp_path):
    file_server.files["/a.bin"] = PAYLOAD
    with pytest.raises(DownloadError, match="checksum mismatch"):
        download(file_server.url("/a.bin"), tmp_path / "a.bin", sha256="0" * 64, progress=False)
    assert not list(tmp_path.iterdir())


def test_unreachable_server_fails_at_once_with_instructions(tmp_path):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(OfflineError) as err:
        download(f"http://127.0.0.1:{port}/x.tar.gz", tmp_path / "x.tar.gz", what="the archive",
                 manual_hint="Then run it again.")
    text = str(err.value)
    assert f"127.0.0.1:{port}/x.tar.gz" in text and str(tmp_path / "x.tar.gz") in text
    assert "Then run it again." in text


def _tar_gz(folder, prefix):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        tar.add(folder, arcname=prefix)
    return buf.getvalue()


def test_sc09_download_extracts_only_the_requested_words(file_server, tmp_path, data_home):
    archive = _tar_gz(make_speech_commands(tmp_path / "src", words=("zero", "one", "go")), ".")
    file_server.files["/sc.tar.gz"] = archive
    root = tmp_path / "sc09"
    download_speech_commands(root, ("zero", "one"), url=file_server.url("/sc.tar.gz"),
                             sha256=hashlib.sha256(archive).hexdigest())
    assert sorted(p.name for p in root.iterdir()) == ["one", "testing_list.txt", "validation_list.txt", "zero"]
    ds = sc09(root, "train", ("zero", "one"))
    assert len(ds) == 4 and ds.counts() == {"zero": 2, "one": 2}
    # existing word folders are never overwritten; a missing one is re-extracted from the
    # kept archive without the network
    (root / "zero" / "mine.wav").write_bytes((root / "zero" / "aaaa1111_nohash_0.wav").read_bytes())
    shutil.rmtree(root / "one")
    file_server.files.clear()
    download_speech_commands(root, ("zero", "one"), url=file_server.url("/sc.tar.gz"),
                             sha256=hashlib.sha256(archive).hexdigest())
    assert (root / "zero" / "mine.wav").is_file()
    assert len(sc09(root, "test", ("zero", "one"))) == 2


def test_fsdd_download_end_to_end(file_server, tmp_path, data_home):
    src = tmp_path / "free-spoken-digit-dataset-1.0.10"
    for digit in range(10):
        for index in (0, 5, 20):
            write_wav(src / "recordings" / f"{digit}_alice_{index}.wav", tone(300 + digit, 0.6, 8000), 8000)
    (src / "README.md").write_text("readme")
    file_server.files["/fsdd.tar.gz"] = _tar_gz(src, src.name)
    root = download_fsdd(url=file_server.url("/fsdd.tar.gz"))
    assert root == data_home / "fsdd" / "recordings"
    assert len(list(root.glob("*.wav"))) == 30
    assert [len(fsdd(root, s)) for s in ("train", "validation", "test")] == [10, 10, 10]


def test_fsdd_download_never_touches_existing_recordings(file_server, tmp_path, data_home, monkeypatch):
    mine = tmp_path / "my_fsdd"
    write_wav(mine / "0_me_0.wav", tone(300, 0.5, 8000), 8000)
    monkeypatch.setenv("SCORELAB_FSDD", str(mine))  # a user's own copy is not a download target
    file_server.files["/fsdd.tar.gz"] = b"never served"
    assert download_fsdd(mine, url=file_server.url("/fsdd.tar.gz")) == mine
    assert file_server.ranges == [] and [p.name for p in mine.iterdir()] == ["0_me_0.wav"]
    other = tmp_path / "other"
    (other / "notes.txt").parent.mkdir()
    (other / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="holds files but no recordings"):
        download_fsdd(other, url=file_server.url("/fsdd.tar.gz"))
    assert (other / "notes.txt").read_text() == "keep me"
