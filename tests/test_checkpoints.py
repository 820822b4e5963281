"""Checkpoints: written whole or not at all, read back with clear errors, checked against the
configuration a run resumes with."""
import hashlib
import os

import pytest
import torch

from scorelab.checkpoints import RESUMABLE_CHANGES, check_config, file_digest, load_checkpoint, save_atomic


def test_save_atomic_round_trips_and_leaves_no_temporary_file(tmp_path):
    state = {"w": torch.arange(6.0).reshape(2, 3), "step": 7}
    path = save_atomic(state, tmp_path / "deep" / "checkpoint.pt")
    loaded = load_checkpoint(path)
    assert loaded["step"] == 7 and torch.equal(loaded["w"], state["w"])
    assert [p.name for p in path.parent.iterdir()] == ["checkpoint.pt"]


def test_a_failed_write_keeps_the_old_checkpoint(tmp_path):
    path = save_atomic({"step": 1}, tmp_path / "checkpoint.pt")

    class Unpicklable:
        def __reduce__(self):
            raise RuntimeError("cannot pickle this")

    with pytest.raises(RuntimeError, match="cannot pickle"):
        save_atomic({"step": 2, "bad": Unpicklable()}, path)
    assert load_checkpoint(path)["step"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.pt"]


def test_loading_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint there"):
        load_checkpoint(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match=r"junk.pt: not a readable scorelab checkpoint"):
        load_checkpoint(tmp_path / "junk.pt")


def test_file_digest_is_the_head_of_the_sha256(tmp_path):
    (tmp_path / "f").write_bytes(os.urandom(3 << 20))  # several read blocks
    assert file_digest(tmp_path / "f") == hashlib.sha256((tmp_path / "f").read_bytes()).hexdigest()[:16]


def test_check_config_allows_only_the_resumable_changes():
    saved = {"train": {"steps": 10, "checkpoint_every": 5, "lr": 1e-3}, "unet": {"width": 8}}
    check_config(saved, {"train": {"steps": 99, "checkpoint_every": 1, "lr": 1e-3}, "unet": {"width": 8}}, "run")
    with pytest.raises(ValueError, match=r"run was made with a different configuration.*train.lr: 0.001 != 0.01; "
                                         r"unet.width: 8 != 16"):
        check_config(saved, {"train": {"steps": 10, "checkpoint_every": 5, "lr": 1e-2}, "unet": {"width": 16}}, "run")
    assert "train.steps" in RESUMABLE_CHANGES and "train.lr" not in RESUMABLE_CHANGES
