"""The grading parent walks and removes folders that sandboxed work wrote into: at any depth,
without following links, and without changing anything outside (checked by mode and hash)."""

import hashlib
import os

from coursekit.grading import watchdog


def _deep(base, depth, payload):
    folder = base
    for _ in range(depth):
        folder = folder / "d"
        folder.mkdir()
    (folder / "payload").write_bytes(b"x" * payload)
    return folder


def test_a_tree_deeper_than_the_recursion_limit_is_measured_and_removed(tmp_path):
    base = tmp_path / "work"
    base.mkdir()
    bottom = _deep(base, 1500, 3 * 2**20)
    bottom.chmod(0o500)  # a folder the work left unwritable
    assert watchdog.folder_mb(base) >= 3
    watchdog.remove(base)
    assert not base.exists()


def test_removing_never_goes_through_a_link(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "victim.txt"
    victim.write_text("the instructor's file")
    victim.chmod(0o644)
    outside.chmod(0o755)
    before = (hashlib.sha256(victim.read_bytes()).hexdigest(), victim.stat().st_mode, outside.stat().st_mode)
    work = tmp_path / "work"
    (work / "locked").mkdir(parents=True)
    (work / "link-to-file").symlink_to(victim)
    (work / "link-to-folder").symlink_to(outside)
    (work / "locked" / "link").symlink_to(outside)
    (work / "locked").chmod(0o500)
    watchdog.folder_mb(work)
    watchdog.remove(work)
    assert not work.exists()
    assert (hashlib.sha256(victim.read_bytes()).hexdigest(), victim.stat().st_mode, outside.stat().st_mode) == before
    assert sorted(os.listdir(outside)) == ["victim.txt"]
