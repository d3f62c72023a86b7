"""Safe extraction of tar (plain, gz, bz2, xz), zip and single-file gz/bz2/xz archives.

The format is read from the file's first bytes, never from its name. Every member is checked
before anything is written: no absolute paths, no ``..``, no symlink or hardlink that leads out
of the root (resolved against what is already on disk, so a chain of links cannot escape), no
devices or FIFOs, and caps on the member count and the total uncompressed size (zip bombs). Tar
members also go through Python's ``filter="data"`` where Python has it.

An archive is unpacked into a temp folder beside the target, then renamed onto it, with a
completion marker inside (``.triptych-extracted``, naming the archive, its size and mtime). A
target with a matching marker is returned at once; an interrupted extraction leaves only a temp
folder, which the next call removes and redoes.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import json
import lzma
import os
import shutil
import stat
import tarfile
import zipfile
import zlib
from pathlib import Path

from ._files import CHUNK_SIZE, _Progress, glob_escape
from ._lock import FileLock, owner_gone, owner_tag

MARKER = ".triptych-extracted"
DEFAULT_MAX_MEMBERS = 10_000_000
_MIN_SIZE_CAP = 1 << 30  # the default size cap is max(1 GiB, 100 x the archive's size)
_RATIO_CAP = 100
_COMPRESSORS = {"gz": gzip.open, "bz2": bz2.open, "xz": lzma.open}
_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tbz", ".tar.xz", ".txz", ".tar", ".zip",
             ".gz", ".bz2", ".xz")


class ExtractionError(RuntimeError):
    """An archive could not be extracted (unknown format, corrupt, too big...)."""


class UnsafeArchiveError(ExtractionError):
    """A member of the archive would write outside the target folder, or is not allowed."""


def archive_format(path: str | os.PathLike) -> str:
    """The format of an archive from its first bytes.

    Returns one of ``"tar"``, ``"tar.gz"``, ``"tar.bz2"``, ``"tar.xz"``, ``"zip"``, ``"gz"``,
    ``"bz2"``, ``"xz"`` (the last three: one compressed file, not a tar).

    Example:
        >>> import gzip, pathlib, tempfile
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "notes.zip"   # the suffix lies
        >>> _ = p.write_bytes(gzip.compress(b"plain text"))
        >>> archive_format(p)
        'gz'
    """
    with open(path, "rb") as f:
        head = f.read(512)
    compression = None
    if head.startswith(b"\x1f\x8b"):
        compression = "gz"
    elif head.startswith(b"BZh"):
        compression = "bz2"
    elif head.startswith(b"\xfd7zXZ\x00"):
        compression = "xz"
    elif head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    elif _is_tar_header(head):
        return "tar"
    if compression is None:
        text = head.lstrip().lower()
        if text.startswith((b"<!doctype html", b"<html")):
            raise ExtractionError(f"{path} is a web page, not an archive: a quota or login page "
                                  "saved in place of the file?")
        raise ExtractionError(f"{path} is not a tar, zip, gz, bz2 or xz archive "
                              f"(it starts with {head[:8]!r})")
    try:
        with _COMPRESSORS[compression](path, "rb") as f:
            inner = f.read(512)
    except (OSError, EOFError, lzma.LZMAError) as exc:
        raise ExtractionError(f"{path} is a corrupt {compression} file: {exc}") from None
    return f"tar.{compression}" if _is_tar_header(inner) else compression


def extract(
    archive: str | os.PathLike,
    dest_dir: str | os.PathLike | None = None,
    *,
    progress: bool = True,
    max_size: int | None = None,
    max_members: int = DEFAULT_MAX_MEMBERS,
) -> Path:
    """Extract ``archive`` safely and return what it produced.

    Args:
        archive: a tar (plain, gz, bz2, xz), zip, or single gz/bz2/xz file; the format is read
            from its first bytes.
        dest_dir: for tar and zip, the folder that will hold exactly the archive's members
            (created atomically; default: beside the archive, named after it without its
            suffix). For a single compressed file, the folder that receives the decompressed
            file (default: the archive's folder).
        progress: show a progress bar (see :func:`triptych.datasets.download`).
        max_size: cap on the total uncompressed bytes; default ``max(1 GiB, 100 x archive)``.
        max_members: cap on the number of members.

    Returns:
        ``Path`` of the folder (tar, zip) or of the decompressed file (gz, bz2, xz).

    Raises:
        UnsafeArchiveError: a member escapes the folder, is a device/FIFO, or a cap is hit;
            nothing is left behind.
        ExtractionError: not an archive, corrupt, or ``dest_dir`` holds files it did not make.

    A second call with the same archive returns at once (the completion marker matches).

    Example:
        >>> import io, pathlib, tarfile, tempfile
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> with tarfile.open(folder / "data.tar.gz", "w:gz") as tar:
        ...     info = tarfile.TarInfo("data/hello.txt"); info.size = 5
        ...     tar.addfile(info, io.BytesIO(b"hello"))
        >>> out = extract(folder / "data.tar.gz", progress=False)
        >>> out.name, (out / "data" / "hello.txt").read_text()
        ('data', 'hello')
    """
    _check_cap("max_size", max_size, allow_none=True)
    _check_cap("max_members", max_members)
    archive = Path(archive)
    if archive.is_dir():
        raise ExtractionError(f"{archive} is a folder, not an archive")
    st = archive.stat()
    fmt = archive_format(archive)
    single = fmt in _COMPRESSORS
    if single:
        folder = Path(dest_dir) if dest_dir is not None else archive.parent
        _check_folder(folder, "dest_dir")
        target = folder / _strip_suffix(archive.name, fmt)
        marker = target.with_name(f".{target.name}.extracted")
    else:
        target = Path(dest_dir) if dest_dir is not None else archive.with_name(
            _strip_suffix(archive.name, fmt))
        _check_folder(target, "dest_dir" if dest_dir is not None else "the default target")
        marker = target / MARKER
    identity = {"archive": archive.name, "size": st.st_size, "mtime_ns": st.st_mtime_ns,
                "format": fmt}
    if _marker_matches(marker, identity) and target.exists():
        return target
    target = target.absolute()
    if not single and _inside(archive.absolute(), target):
        raise ExtractionError(f"dest_dir {target} contains the archive itself; "
                              "extract into a folder of its own")
    limits = _Limits(max_size if max_size is not None else max(_MIN_SIZE_CAP,
                                                               _RATIO_CAP * st.st_size),
                     max_members)
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(target.parent / f".{target.name}.lock"):
        if _marker_matches(marker, identity) and target.exists():
            return target
        if single:
            _check_single_target(target, marker)
        _remove_stale_temps(target)
        tmp = target.with_name(f".{target.name}.{owner_tag()}.{os.urandom(4).hex()}.extracting")
        try:
            with _Progress(progress, st.st_size, f"extract {archive.name}") as bar:
                if single:
                    _decompress(archive, fmt, tmp, limits, bar)
                else:
                    tmp.mkdir()
                    extract_members = _extract_zip if fmt == "zip" else _extract_tar
                    if extract_members(archive, tmp, limits, bar):  # True: it made symlinks
                        _check_links(tmp)
            record = {**identity, "members": limits.members, "bytes": limits.bytes}
            if single:
                os.replace(tmp, target)
                _write_json(marker, record)
            else:
                _write_json(tmp / MARKER, record)
                _swap_into_place(tmp, target)
        except BaseException:
            _remove(tmp)
            raise
    return target


# --------------------------------------------------------------------------------------------
# Checks


class _Limits:
    def __init__(self, max_size: int, max_members: int):
        self.max_size = max_size
        self.max_members = max_members
        self.members = 0
        self.bytes = 0

    def add(self, name: str, size: int) -> None:
        self.members += 1
        self.bytes += max(size, 0)
        if self.members > self.max_members:
            raise UnsafeArchiveError(f"more than {self.max_members} members (max_members)")
        if self.bytes > self.max_size:
            raise UnsafeArchiveError(
                f"more than {self.max_size} bytes uncompressed by {name!r} (max_size): "
                "a zip bomb? pass max_size=... if the archive is genuine")


def _check_cap(name: str, value, *, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be an int >= 0{' or None' if allow_none else ''}, "
                         f"got {value!r}")


def _check_folder(folder: Path, what: str) -> None:
    """ExtractionError unless ``folder`` is a folder or can be made one (no file in the way)."""
    for path in (folder, *folder.parents):
        if path.exists():
            if not path.is_dir():
                raise ExtractionError(
                    f"{what} {folder} cannot be a folder: {path} is a file; remove it or pass "
                    "another dest_dir")
            return


def _clean_name(name: str) -> str:
    """The member name as a relative POSIX path, or UnsafeArchiveError."""
    if "\x00" in name:
        raise UnsafeArchiveError(f"member name with a NUL byte: {name!r}")
    unified = name.replace("\\", "/")
    if unified.startswith("/") or (len(unified) > 1 and unified[1] == ":"):
        raise UnsafeArchiveError(f"absolute path in archive: {name!r}")
    parts = [p for p in unified.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise UnsafeArchiveError(f"'..' in member path: {name!r}")
    return "/".join(parts)


def _inside(path: Path | str, root: Path | str) -> bool:
    """Whether ``path`` (resolved through links on disk) lies in ``root`` (resolved)."""
    root = os.path.realpath(root)
    return os.path.commonpath([root, os.path.realpath(path)]) == root


def _check_destination(root: Path, rel: str, original: str) -> Path:
    dest = root / rel
    if not _inside(dest.parent, root) or (dest.is_symlink() and not _inside(dest, root)):
        raise UnsafeArchiveError(f"member {original!r} would be written outside the folder "
                                 "through a link")
    return dest


def _check_symlink(root: Path, dest: Path, link: str, original: str) -> None:
    if not link or link.startswith(("/", "\\")) or (len(link) > 1 and link[1] == ":"):
        raise UnsafeArchiveError(f"symlink {original!r} -> {link!r} has an absolute target")
    if not _inside(os.path.join(dest.parent, link), root):
        raise UnsafeArchiveError(f"symlink {original!r} -> {link!r} leads outside the folder")


def _check_links(root: Path) -> None:
    """After extraction: every symlink under ``root`` still resolves inside it."""
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(folder, name)
            if os.path.islink(path) and not _inside(path, root):
                raise UnsafeArchiveError(f"link {os.path.relpath(path, root)!r} leads outside "
                                         "the folder")


# --------------------------------------------------------------------------------------------
# Formats


class _CountingReader:
    """A file wrapper that moves a progress bar by the bytes read from the archive."""

    def __init__(self, f, bar):
        self._f = f
        self._bar = bar

    def read(self, n=-1):
        data = self._f.read(n)
        self._bar.update(len(data))
        return data


_TAR_KWARGS = {"filter": "data"} if hasattr(tarfile, "data_filter") else {"set_attrs": False}


def _extract_tar(archive: Path, root: Path, limits: _Limits, bar) -> bool:
    has_links = False
    with open(archive, "rb") as raw:
        try:
            # Stream mode: one pass over the compressed data, members checked in order.
            with tarfile.open(fileobj=_CountingReader(raw, bar), mode="r|*") as tar:
                for member in tar:
                    rel = _clean_name(member.name)
                    limits.add(member.name, member.size if member.isfile() else 0)
                    if not rel:
                        continue  # "./" itself
                    dest = _check_destination(root, rel, member.name)
                    if member.issym():
                        _check_symlink(root, dest, member.linkname, member.name)
                        has_links = True
                    elif member.islnk():
                        try:
                            link_rel = _clean_name(member.linkname)
                        except UnsafeArchiveError:
                            link_rel = ""
                        if not link_rel or not _inside(root / link_rel, root):
                            raise UnsafeArchiveError(
                                f"hardlink {member.name!r} -> {member.linkname!r} leads outside "
                                "the folder")
                        member.linkname = link_rel
                    elif member.ischr() or member.isblk() or member.isfifo():
                        raise UnsafeArchiveError(f"device or FIFO in archive: {member.name!r}")
                    elif not (member.isfile() or member.isdir()):
                        raise UnsafeArchiveError(f"unsupported member type {member.type!r}: "
                                                 f"{member.name!r}")
                    member.name = rel
                    try:
                        tar.extract(member, root, **_TAR_KWARGS)
                    except tarfile.FilterError as exc:
                        raise UnsafeArchiveError(f"{member.name!r}: {exc}") from None
        except (tarfile.TarError, EOFError, OSError, lzma.LZMAError, zipfile.BadZipFile) as exc:
            if isinstance(exc, ExtractionError):
                raise
            raise ExtractionError(f"{archive} is corrupt or truncated: {exc}") from None
    return has_links


def _extract_zip(archive: Path, root: Path, limits: _Limits, bar) -> bool:
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile as exc:
        raise ExtractionError(f"{archive} is not a readable zip file: {exc}") from None
    with zf:
        infos = zf.infolist()
        # Caps first, on the sizes the archive declares (zipfile never inflates past them),
        # so that a bomb is refused before a byte is written.
        for info in infos:
            limits.add(info.filename, info.file_size)
        has_links = False
        for info in infos:
            rel = _clean_name(info.filename)
            mode = info.external_attr >> 16 if info.create_system == 3 else 0
            if not rel:
                continue
            dest = _check_destination(root, rel, info.filename)
            kind = stat.S_IFMT(mode)
            try:
                if info.is_dir() or kind == stat.S_IFDIR:
                    dest.mkdir(parents=True, exist_ok=True)
                elif kind == stat.S_IFLNK:
                    if info.file_size > 4096:
                        raise UnsafeArchiveError(f"symlink {info.filename!r} has a huge target")
                    link = zf.read(info).decode("utf-8", "surrogateescape")
                    _check_symlink(root, dest, link, info.filename)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    if dest.is_symlink() or dest.exists():
                        dest.unlink()
                    os.symlink(link, dest)
                    has_links = True
                elif kind not in (0, stat.S_IFREG):
                    raise UnsafeArchiveError(f"device or FIFO in archive: {info.filename!r}")
                else:
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    _check_destination(root, rel, info.filename)
                    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
                    perms = 0o777 if mode & 0o111 else 0o666
                    with zf.open(info) as src, os.fdopen(os.open(dest, flags, perms), "wb") as out:
                        while chunk := src.read(CHUNK_SIZE):
                            out.write(chunk)
                    bar.update(info.compress_size)
            except (zipfile.BadZipFile, RuntimeError, EOFError, zlib.error) as exc:
                if isinstance(exc, ExtractionError):
                    raise
                raise ExtractionError(f"{archive}: cannot extract {info.filename!r}: "
                                      f"{exc}") from None
            except OSError as exc:
                raise ExtractionError(f"{archive}: cannot write {info.filename!r}: {exc}") from None
    return has_links


def _decompress(archive: Path, fmt: str, out_path: Path, limits: _Limits, bar) -> None:
    written = 0
    try:
        with open(archive, "rb") as raw, _COMPRESSORS[fmt](_CountingReader(raw, bar), "rb") as src, \
                open(out_path, "xb") as out:
            while chunk := src.read(CHUNK_SIZE):
                written += len(chunk)
                if written > limits.max_size:
                    raise UnsafeArchiveError(
                        f"{archive.name} inflates to more than {limits.max_size} bytes (max_size):"
                        " a compression bomb? pass max_size=... if it is genuine")
                out.write(chunk)
    except (OSError, EOFError, lzma.LZMAError) as exc:
        raise ExtractionError(f"{archive} is a corrupt {fmt} file: {exc}") from None
    limits.members, limits.bytes = 1, written


# --------------------------------------------------------------------------------------------
# Helpers


def _is_tar_header(block: bytes) -> bool:
    if len(block) < 512:
        return False
    if block[257:262] == b"ustar":
        return True
    field = block[148:156].split(b"\x00", 1)[0].strip()
    try:
        stored = int(field, 8)
    except ValueError:
        return False
    return stored == sum(block[:148]) + 8 * 32 + sum(block[156:512])


def _strip_suffix(name: str, fmt: str) -> str:
    lower = name.lower()
    for suffix in _SUFFIXES:
        if lower.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name + (".out" if fmt in _COMPRESSORS else ".d")


def _marker_matches(marker: Path, identity: dict) -> bool:
    try:
        record = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    return isinstance(record, dict) and all(record.get(k) == v for k, v in identity.items())


def _write_json(path: Path, record: dict) -> None:
    tmp = path.with_name(f"{path.name}.{owner_tag()}.tmp")
    tmp.write_text(json.dumps(record, indent=1) + "\n")
    os.replace(tmp, path)


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        with contextlib.suppress(OSError):
            path.unlink()
    elif path.exists():
        shutil.rmtree(path, ignore_errors=True)


def _remove_stale_temps(target: Path) -> None:
    """Temp folders left by an interrupted extraction of ``target`` (their owner is gone)."""
    prefix = f".{target.name}."
    for candidate in target.parent.glob(f"{glob_escape(prefix)}*.extracting"):
        fields = candidate.name[len(prefix):].split(".")
        try:
            host, pid = fields[-4], int(fields[-3])
            mtime = candidate.lstat().st_mtime
        except (IndexError, ValueError, OSError):
            continue
        if owner_gone(host, pid, mtime):
            _remove(candidate)


def _check_single_target(target: Path, marker: Path) -> None:
    """A decompressed file may replace only an earlier output of ours (its marker exists)."""
    if target.is_dir() and not target.is_symlink():
        raise ExtractionError(
            f"{target} is a folder, so the decompressed file cannot take its name; move the "
            "folder away or pass another dest_dir")
    if (target.exists() or target.is_symlink()) and not marker.exists():
        raise ExtractionError(
            f"{target} exists and was not made by triptych.extract; remove it or extract "
            "into another folder (dest_dir=...)")


def _swap_into_place(tmp: Path, target: Path) -> None:
    """Rename ``tmp`` onto ``target``; an old ``target`` must be ours (marker) or empty."""
    if target.is_symlink() or target.is_file():
        raise ExtractionError(f"{target} exists and is not a folder")
    if target.exists():
        if not (target / MARKER).exists() and any(target.iterdir()):
            raise ExtractionError(
                f"{target} exists and was not made by triptych.extract; remove it or extract "
                "into another folder")
        old = target.with_name(f".{target.name}.{owner_tag()}.{os.urandom(4).hex()}.old")
        os.rename(target, old)
        os.rename(tmp, target)
        _remove(old)
    else:
        os.rename(tmp, target)
