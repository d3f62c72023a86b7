"""extract(): formats by magic bytes, atomic and marked completion, and malicious archives."""

from __future__ import annotations

import bz2
import gzip
import importlib
import io
import json
import lzma
import os
import struct
import tarfile
import zipfile
import zlib
from pathlib import Path

import pytest

from triptych.datasets import (
    ExtractionError,
    UnsafeArchiveError,
    archive_format,
    extract,
)

ex = importlib.import_module("triptych.datasets.extract")


def random_tree() -> dict[str, bytes]:
    """A few files in nested folders, with random contents drawn fresh each run."""
    return {
        "top/a.bin": os.urandom(3000),
        "top/sub/b.txt": os.urandom(50),
        "top/sub/deeper/c.dat": os.urandom(70_000),
        "top/empty.txt": b"",
    }


def make_tar(path: Path, files: dict[str, bytes], mode: str = "w:gz") -> Path:
    with tarfile.open(path, mode) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return path


def make_zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def read_tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != ex.MARKER}


def snapshot(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


@pytest.mark.parametrize("mode, fmt", [("w", "tar"), ("w:gz", "tar.gz"), ("w:bz2", "tar.bz2"),
                                       ("w:xz", "tar.xz")])
def test_tar_formats_round_trip(tmp_path, mode, fmt):
    files = random_tree()
    archive = make_tar(tmp_path / "data.bin", files, mode)  # the name says nothing
    assert archive_format(archive) == fmt
    out = extract(archive, tmp_path / "out", progress=False)
    assert out == tmp_path / "out"
    assert read_tree(out) == files
    marker = json.loads((out / ex.MARKER).read_text())
    assert marker["archive"] == "data.bin" and marker["members"] == len(files)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp, no lock


def test_zip_round_trip_even_when_named_tar(tmp_path):
    files = random_tree()
    archive = make_zip(tmp_path / "misnamed.tar.gz", files)
    assert archive_format(archive) == "zip"
    out = extract(archive, tmp_path / "out", progress=False)
    assert read_tree(out) == files


@pytest.mark.parametrize("compress, fmt", [(gzip.compress, "gz"), (bz2.compress, "bz2"),
                                           (lzma.compress, "xz")])
def test_single_file_decompression(tmp_path, compress, fmt):
    data = os.urandom(100_000)
    archive = tmp_path / f"train-images.{fmt}"
    archive.write_bytes(compress(data))
    assert archive_format(archive) == fmt
    out = extract(archive, progress=False)
    assert out == tmp_path / "train-images"
    assert out.read_bytes() == data


def test_default_target_is_beside_the_archive_without_its_suffix(tmp_path):
    archive = make_tar(tmp_path / "dataset-v1.tar.gz", random_tree())
    assert extract(archive, progress=False) == tmp_path / "dataset-v1"


def test_second_call_trusts_the_marker(tmp_path):
    archive = make_tar(tmp_path / "a.tar.gz", random_tree())
    out = extract(archive, tmp_path / "out", progress=False)
    (out / "top" / "a.bin").write_bytes(b"edited")
    extract(archive, tmp_path / "out", progress=False)
    assert (out / "top" / "a.bin").read_bytes() == b"edited"  # not extracted again


def test_a_new_archive_replaces_an_old_extraction(tmp_path):
    first, second = random_tree(), {"other/x.bin": os.urandom(10)}
    archive = make_tar(tmp_path / "a.tar.gz", first)
    extract(archive, tmp_path / "out", progress=False)
    make_tar(archive, second)  # re-downloaded: another size and mtime
    os.utime(archive, ns=(1, 1))
    assert read_tree(extract(archive, tmp_path / "out", progress=False)) == second


def test_interrupted_extraction_leaves_nothing_and_is_redone(tmp_path, monkeypatch):
    files = random_tree()
    archive = make_tar(tmp_path / "a.tar.gz", files)
    original = tarfile.TarFile.extract
    calls = []

    def fail_on_third(self, member, *args, **kwargs):
        calls.append(member.name)
        if len(calls) == 3:
            raise KeyboardInterrupt  # e.g. Ctrl-C half-way
        return original(self, member, *args, **kwargs)

    monkeypatch.setattr(tarfile.TarFile, "extract", fail_on_third)
    with pytest.raises(KeyboardInterrupt):
        extract(archive, tmp_path / "out", progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.tar.gz"]
    monkeypatch.undo()
    assert read_tree(extract(archive, tmp_path / "out", progress=False)) == files


def test_temp_folder_of_a_killed_run_is_removed(tmp_path):
    archive = make_tar(tmp_path / "a.tar.gz", random_tree())
    stale = tmp_path / f".out.{ex.owner_tag().split('.')[0]}.999999999.0a0b0c0d.extracting"
    (stale / "top").mkdir(parents=True)
    (stale / "top" / "half.bin").write_bytes(b"x")
    extract(archive, tmp_path / "out", progress=False)
    assert not stale.exists()


def test_refuses_to_replace_a_folder_it_did_not_make(tmp_path):
    archive = make_tar(tmp_path / "a.tar.gz", random_tree())
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "precious.txt").write_text("mine")
    with pytest.raises(ExtractionError, match="not made by triptych"):
        extract(archive, tmp_path / "out", progress=False)
    assert (tmp_path / "out" / "precious.txt").read_text() == "mine"


def test_not_an_archive_and_web_pages_are_clear_errors(tmp_path):
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(os.urandom(600))
    with pytest.raises(ExtractionError, match="not a tar, zip"):
        extract(junk, progress=False)
    page = tmp_path / "page.zip"
    page.write_bytes(b"<!DOCTYPE html><html><body>Sign in</body></html>")
    with pytest.raises(ExtractionError, match="web page"):
        extract(page, progress=False)


def test_truncated_archive_is_an_error_and_leaves_nothing(tmp_path):
    archive = make_tar(tmp_path / "a.tar.gz", random_tree())
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(ExtractionError):
        extract(archive, tmp_path / "out", progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.tar.gz"]


# ----------------------------------------------------------------------- malicious archives


def tar_with(path: Path, *members: tarfile.TarInfo, data: bytes = b"pwned") -> Path:
    with tarfile.open(path, "w:gz") as tar:
        ok = tarfile.TarInfo("fine.txt")
        ok.size = 2
        tar.addfile(ok, io.BytesIO(b"ok"))
        for member in members:
            body = io.BytesIO(data) if member.isfile() else None
            if member.isfile():
                member.size = len(data)
            tar.addfile(member, body)
    return path


def member(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    return info


ESCAPES = {
    "absolute path": [member("/tmp/triptych-evil-abs.txt")],
    "dot-dot": [member("../evil.txt")],
    "dot-dot inside": [member("a/../../evil.txt")],
    "symlink absolute": [member("link", tarfile.SYMTYPE, "/etc")],
    "symlink relative out": [member("link", tarfile.SYMTYPE, "../..")],
    "symlink then write through it": [member("link", tarfile.SYMTYPE, ".."),
                                      member("link/evil.txt")],
    "symlink chain": [member("a", tarfile.SYMTYPE, "."), member("a/b", tarfile.SYMTYPE, "..")],
    "hardlink out": [member("hard", tarfile.LNKTYPE, "../evil.txt")],
    "hardlink absolute": [member("hard", tarfile.LNKTYPE, "/etc/hostname")],
    "char device": [member("dev", tarfile.CHRTYPE)],
    "block device": [member("blk", tarfile.BLKTYPE)],
    "fifo": [member("fifo", tarfile.FIFOTYPE)],
}


@pytest.mark.parametrize("kind", list(ESCAPES))
def test_malicious_tar_is_rejected_with_nothing_written(tmp_path, kind):
    work = tmp_path / "work"
    work.mkdir()
    archive = tar_with(work / "evil.tar.gz", *ESCAPES[kind])
    before = snapshot(tmp_path)
    with pytest.raises(UnsafeArchiveError):
        extract(archive, work / "out", progress=False)
    assert snapshot(tmp_path) == before  # no target, no temp folder, nothing outside
    assert not Path("/tmp/triptych-evil-abs.txt").exists()


def zip_with(path: Path, entries: list[tuple[str, bytes, int]]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("fine.txt", b"ok")
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = mode << 16
            zf.writestr(info, data)
    return path


ZIP_ESCAPES = {
    "dot-dot": [("../evil.txt", b"x", 0o100644)],
    "absolute": [("/tmp/triptych-evil-zip.txt", b"x", 0o100644)],
    "windows absolute": [("C:\\evil.txt", b"x", 0o100644)],
    "backslash dot-dot": [("..\\evil.txt", b"x", 0o100644)],
    "symlink out": [("link", b"../../outside", 0o120777)],
    "fifo": [("fifo", b"", 0o010644)],
}


@pytest.mark.parametrize("kind", list(ZIP_ESCAPES))
def test_malicious_zip_is_rejected_with_nothing_written(tmp_path, kind):
    work = tmp_path / "work"
    work.mkdir()
    archive = zip_with(work / "evil.zip", ZIP_ESCAPES[kind])
    before = snapshot(tmp_path)
    with pytest.raises(UnsafeArchiveError):
        extract(archive, work / "out", progress=False)
    assert snapshot(tmp_path) == before
    assert not Path("/tmp/triptych-evil-zip.txt").exists()


def test_links_inside_the_root_are_kept(tmp_path):
    archive = tar_with(tmp_path / "links.tar.gz", member("dir", tarfile.DIRTYPE),
                       member("dir/target.txt"), member("dir/sym", tarfile.SYMTYPE, "target.txt"),
                       member("hard", tarfile.LNKTYPE, "dir/target.txt"))
    out = extract(archive, tmp_path / "out", progress=False)
    assert (out / "dir" / "sym").is_symlink()
    assert (out / "dir" / "sym").read_bytes() == b"pwned"
    assert (out / "hard").read_bytes() == b"pwned"


def deflated_zeros(n: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = bytes(1 << 20)
    parts = [compressor.compress(block) for _ in range(n >> 20)]
    return b"".join(parts) + compressor.flush()


def zip_bomb(path: Path, members: int, member_size: int) -> Path:
    """A zip of ``members`` files of ``member_size`` zero bytes, sharing one deflate stream."""
    data = deflated_zeros(member_size)
    crc = zlib.crc32(bytes(member_size))
    local, central = io.BytesIO(), io.BytesIO()
    for i in range(members):
        name = f"zeros{i:03d}.bin".encode()
        offset = local.tell()
        local.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data),
                                member_size, len(name), 0) + name + data)
        central.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc,
                                  len(data), member_size, len(name), 0, 0, 0, 0, 0, offset) + name)
    directory = central.getvalue()
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, members, members, len(directory),
                      local.tell(), 0)
    path.write_bytes(local.getvalue() + directory + end)
    return path


def test_zip_bomb_is_refused_before_writing(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    archive = zip_bomb(work / "bomb.zip", members=40, member_size=32 << 20)  # 1.25 GiB of zeros
    assert archive.stat().st_size < 2 << 20
    with zipfile.ZipFile(archive) as zf:  # a well-formed zip: the bytes really inflate
        assert zf.read("zeros000.bin", pwd=None)[:4] == b"\0\0\0\0"
    before = snapshot(tmp_path)
    with pytest.raises(UnsafeArchiveError, match="zip bomb"):
        extract(archive, work / "out", progress=False)  # default cap: max(1 GiB, 100 x size)
    assert snapshot(tmp_path) == before


def test_caps_on_members_and_size(tmp_path):
    many = make_tar(tmp_path / "many.tar", {f"f{i}": b"x" for i in range(11)}, "w")
    with pytest.raises(UnsafeArchiveError, match="max_members"):
        extract(many, tmp_path / "a", progress=False, max_members=10)
    big = make_tar(tmp_path / "big.tar.gz", {"zeros": bytes(2 << 20)})
    with pytest.raises(UnsafeArchiveError, match="max_size"):
        extract(big, tmp_path / "b", progress=False, max_size=1 << 20)
    gz = tmp_path / "zeros.gz"
    gz.write_bytes(gzip.compress(bytes(2 << 20)))
    with pytest.raises(UnsafeArchiveError, match="max_size"):
        extract(gz, tmp_path / "c", progress=False, max_size=1 << 20)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.tar.gz", "c", "many.tar",
                                                          "zeros.gz"]
    assert list((tmp_path / "c").iterdir()) == []


def test_progress_bar_for_extraction(tmp_path, monkeypatch, capsys):
    archive = make_tar(tmp_path / "a.tar.gz", random_tree())
    monkeypatch.setenv("TRIPTYCH_PROGRESS", "1")
    extract(archive, tmp_path / "out", progress=True)
    assert "extract a.tar.gz" in capsys.readouterr().err
    extract(make_tar(tmp_path / "b.tar.gz", random_tree()), tmp_path / "out2", progress=False)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("compress, fmt", [(gzip.compress, "gz"), (bz2.compress, "bz2"),
                                           (lzma.compress, "xz")])
def test_single_file_refuses_to_replace_a_file_it_did_not_make(tmp_path, compress, fmt):
    archive = tmp_path / f"notes.{fmt}"
    archive.write_bytes(compress(os.urandom(1000)))
    (tmp_path / "notes").write_text("mine")
    with pytest.raises(ExtractionError, match="not made by triptych"):
        extract(archive, progress=False)
    assert (tmp_path / "notes").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes", f"notes.{fmt}"]


def test_single_file_replaces_its_own_earlier_output(tmp_path):
    archive = tmp_path / "notes.gz"
    archive.write_bytes(gzip.compress(b"first"))
    extract(archive, progress=False)
    archive.write_bytes(gzip.compress(b"second version"))  # re-downloaded: a new size
    assert extract(archive, progress=False).read_bytes() == b"second version"


def test_destination_that_is_a_file_is_a_clear_error(tmp_path):
    archive = make_tar(tmp_path / "a.tar.gz", random_tree())
    (tmp_path / "taken").write_text("mine")
    with pytest.raises(ExtractionError, match="is a file; remove it or pass another dest_dir"):
        extract(archive, tmp_path / "taken", progress=False)
    with pytest.raises(ExtractionError, match="is a file"):
        extract(archive, tmp_path / "taken" / "sub", progress=False)
    gz = tmp_path / "b.gz"
    gz.write_bytes(gzip.compress(b"data"))
    with pytest.raises(ExtractionError, match="is a file"):
        extract(gz, tmp_path / "taken", progress=False)
    assert (tmp_path / "taken").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.tar.gz", "b.gz", "taken"]


def test_single_file_target_that_is_a_folder_is_a_clear_error(tmp_path):
    gz = tmp_path / "b.gz"
    gz.write_bytes(gzip.compress(b"data"))
    (tmp_path / "b").mkdir()
    with pytest.raises(ExtractionError, match="is a folder, so the decompressed file"):
        extract(gz, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b", "b.gz"]


@pytest.mark.parametrize("option, value", [("max_size", -1), ("max_members", -1),
                                           ("max_size", 1.5), ("max_members", None)])
def test_bad_caps_are_argument_errors(tmp_path, option, value):
    archive = make_tar(tmp_path / "a.tar.gz", random_tree())
    with pytest.raises(ValueError, match=f"{option} must be an int >= 0"):
        extract(archive, tmp_path / "out", progress=False, **{option: value})
    assert not (tmp_path / "out").exists()
