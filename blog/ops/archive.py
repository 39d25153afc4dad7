"""The backup file: one tar holding a manifest, the parts, and a seal over all of it.

A plain tar, which ``tar -tf`` lists::

    manifest.json   what the backup holds: the format, the database's kind,
                    its schema version, and each part's size and SHA-256
    database.*      the copy of the database
    uploads.tar     the uploaded files, when there are any
    seal.json       the SHA-256, and an HMAC under a key derived from
                    SECRET_KEY, of every byte before its own header

Every byte of the file is accounted for: those before the seal by its
digests, the seal's header by tar's own checksum, and those after the seal
must be the zeros tar ends an archive with, to the length tar gives them.
A truncated copy, a flipped bit anywhere, or a file forged without the
blog's key is refused before anything is read from it.

Nothing here knows Flask: the errors are kinds, and the caller words them.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

MANIFEST = "manifest.json"
SEAL = "seal.json"
FORMAT = 1
#: The seal's text is padded to exactly one tar block, so that it ends the
#: archive's data at a place found from the end of the file.
BLOCK = tarfile.BLOCKSIZE
#: Tar ends an archive with two zero blocks, then pads it to a whole record.
END_BLOCKS = 2 * BLOCK
RECORD = tarfile.RECORDSIZE
CHUNK = 1024 * 1024
KEY_PURPOSE = b"blog backup seal"


class ArchiveError(Exception):
    """A backup file that cannot be trusted; ``kind`` says why."""

    #: The file is not a whole backup: truncated, or not one at all.
    INCOMPLETE = "incomplete"
    #: Its bytes differ from those that were sealed.
    ALTERED = "altered"
    #: Whole and unchanged, but sealed under another secret key.
    OTHER_KEY = "other-key"

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind


@dataclass(frozen=True)
class Part:
    """A file that goes into the backup, under ``name``."""

    name: str
    path: Path


def seal_key(secret_key: str) -> bytes:
    """The seal's HMAC key, derived from ``SECRET_KEY`` for this purpose alone."""
    return hmac.new(secret_key.encode(), KEY_PURPOSE, hashlib.sha256).digest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class _SealingWriter:
    """The file tar writes to, digesting every byte on the way."""

    def __init__(self, raw: BinaryIO, key: bytes) -> None:
        self.raw = raw
        self.length = 0
        self.sha256 = hashlib.sha256()
        self.hmac = hmac.new(key, digestmod=hashlib.sha256)

    def write(self, data: bytes) -> int:
        self.raw.write(data)
        self.sha256.update(data)
        self.hmac.update(data)
        self.length += len(data)
        return len(data)

    def tell(self) -> int:
        return self.length


def _member(name: str, size: int, mtime: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = mtime
    info.mode = 0o600
    return info


def seal_text(length: int, sha256: str, mac: str) -> bytes:
    """The seal, padded with spaces to exactly one block."""
    text = json.dumps({"length": length, "sha256": sha256, "hmac_sha256": mac}).encode()
    return text.ljust(BLOCK - 1) + b"\n"


def write_archive(target: Path, manifest: dict[str, Any], parts: list[Part], key: bytes) -> None:
    """Write the sealed archive to ``target`` (a new file, mode 0600), and sync it."""
    entries: list[dict[str, Any]] = []
    for part in parts:
        size = part.path.stat().st_size
        entries.append({"name": part.name, "size": size, "sha256": file_sha256(part.path)})
    manifest = {**manifest, "format": FORMAT, "parts": entries}
    mtime = int(manifest.get("created", 0))
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as raw:
        sealing = _SealingWriter(raw, key)
        # The tar module writes to any object with write() and tell().
        with tarfile.open(fileobj=sealing, mode="w") as tar:  # type: ignore[call-overload]
            text = json.dumps(manifest, indent=1, sort_keys=True).encode()
            tar.addfile(_member(MANIFEST, len(text), mtime), io.BytesIO(text))
            for part, entry in zip(parts, entries, strict=True):
                with part.path.open("rb") as handle:
                    tar.addfile(_member(part.name, entry["size"], mtime), handle)
            prefix = sealing.length
            seal = seal_text(prefix, sealing.sha256.hexdigest(), sealing.hmac.hexdigest())
            tar.addfile(_member(SEAL, len(seal), mtime), io.BytesIO(seal))
            if sealing.length != prefix + 2 * BLOCK:
                raise RuntimeError("the seal took more than its header and one block")
        raw.flush()
        os.fsync(raw.fileno())


def expected_size(sealed_end: int) -> int:
    """The file's length when the seal's data ends at ``sealed_end``."""
    return -(-(sealed_end + END_BLOCKS) // RECORD) * RECORD


def read_seal(handle: BinaryIO, size: int) -> tuple[dict[str, Any], int]:
    """Find the seal from the end of the file; return it and where its header starts."""
    tail_length = min(size, RECORD + END_BLOCKS + 2 * BLOCK)
    handle.seek(size - tail_length)
    tail = handle.read(tail_length)
    data_end = len(tail.rstrip(b"\0"))
    sealed_end = size - tail_length + data_end
    if data_end < 2 * BLOCK or expected_size(sealed_end) != size:
        raise ArchiveError(ArchiveError.INCOMPLETE, "no seal where the end of the file says")
    header, text = tail[data_end - 2 * BLOCK : data_end - BLOCK], tail[data_end - BLOCK : data_end]
    try:
        info = tarfile.TarInfo.frombuf(header, tarfile.ENCODING, "surrogateescape")
        seal = json.loads(text)
    except (tarfile.TarError, ValueError) as error:
        raise ArchiveError(ArchiveError.ALTERED, "the seal") from error
    if info.name != SEAL or info.size != BLOCK or not isinstance(seal, dict):
        raise ArchiveError(ArchiveError.ALTERED, "the seal's header")
    return seal, sealed_end - 2 * BLOCK


def check_seal(path: Path, key: bytes, any_key: bool = False) -> None:
    """Refuse a file that is not whole, whose bytes changed, or (unless
    ``any_key``) that another key sealed."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        seal, prefix = read_seal(handle, size)
        if seal.get("length") != prefix:
            raise ArchiveError(ArchiveError.ALTERED, "the sealed length")
        handle.seek(0)
        sha256 = hashlib.sha256()
        mac = hmac.new(key, digestmod=hashlib.sha256)
        left = prefix
        while left:
            chunk = handle.read(min(CHUNK, left))
            if not chunk:
                raise ArchiveError(ArchiveError.INCOMPLETE, "shorter than sealed")
            sha256.update(chunk)
            mac.update(chunk)
            left -= len(chunk)
    if not hmac.compare_digest(sha256.hexdigest(), str(seal.get("sha256"))):
        raise ArchiveError(ArchiveError.ALTERED, "the checksum")
    if not any_key and not hmac.compare_digest(mac.hexdigest(), str(seal.get("hmac_sha256"))):
        raise ArchiveError(ArchiveError.OTHER_KEY)


@dataclass(frozen=True)
class Backup:
    """A sealed backup whose seal held, open for reading its parts."""

    tar: tarfile.TarFile
    manifest: dict[str, Any]

    def part_names(self) -> list[str]:
        return [entry["name"] for entry in self.manifest["parts"]]

    def extract(self, name: str, target: Path) -> None:
        """Copy part ``name`` to ``target`` (mode 0600), checking its size and SHA-256."""
        entry = next(entry for entry in self.manifest["parts"] if entry["name"] == name)
        source = self.tar.extractfile(name)
        if source is None:
            raise ArchiveError(ArchiveError.INCOMPLETE, name)
        digest = hashlib.sha256()
        size = 0
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        if size != entry["size"] or not hmac.compare_digest(digest.hexdigest(), entry["sha256"]):
            target.unlink()
            raise ArchiveError(ArchiveError.ALTERED, name)


def _read_manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    names = tar.getnames()
    manifest_file = tar.extractfile(MANIFEST) if names and names[0] == MANIFEST else None
    if manifest_file is None:
        raise ArchiveError(ArchiveError.INCOMPLETE, "no manifest")
    manifest = json.loads(manifest_file.read())
    parts = manifest.get("parts") if isinstance(manifest, dict) else None
    if manifest.get("format") != FORMAT or not isinstance(parts, list):
        raise ArchiveError(ArchiveError.INCOMPLETE, "not a backup of this format")
    listed = [entry.get("name") for entry in parts if isinstance(entry, dict)]
    if names != [MANIFEST, *listed, SEAL]:
        raise ArchiveError(ArchiveError.INCOMPLETE, "the parts are not those listed")
    return manifest


@contextmanager
def open_backup(path: Path, key: bytes, any_key: bool = False) -> Iterator[Backup]:
    """Check the seal, then open the archive and read its manifest."""
    check_seal(path, key, any_key)
    try:
        tar = tarfile.open(path, mode="r:")
    except tarfile.TarError as error:
        raise ArchiveError(ArchiveError.INCOMPLETE, str(error)) from error
    with tar:
        try:
            manifest = _read_manifest(tar)
        except (tarfile.TarError, ValueError, KeyError, AttributeError) as error:
            raise ArchiveError(ArchiveError.INCOMPLETE, str(error)) from error
        yield Backup(tar, manifest)


def unpack_folder(archive: Path, target: Path) -> None:
    """Unpack an uploads archive into ``target``, refusing links out and odd files."""
    with tarfile.open(archive, mode="r:") as tar:
        tar.extractall(target, filter="data")


def pack_folder(folder: Path, target: Path) -> None:
    """Pack ``folder``'s regular files and subfolders (no links, no devices) into ``target``."""

    def plain(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        return info if info.isfile() or info.isdir() else None

    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w") as tar:
        tar.add(folder, arcname=".", filter=plain)
