"""Write outputs atomically: to a temporary file beside the target, then rename."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from varprio.errors import OutputError


@contextlib.contextmanager
def atomic_text(path: Path) -> Iterator[IO[str]]:
    """Open ``path`` for text writing; it appears complete on success, not at all on failure."""
    directory = path.parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write here ({exc.strerror})") from exc
    try:
        _readable(tmp)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            yield fh
        os.replace(tmp, path)
    except OSError as exc:
        _unlink(tmp)
        raise OutputError(f"{path}: writing failed ({exc.strerror})") from exc
    except BaseException:
        _unlink(tmp)
        raise


def _readable(path: str) -> None:
    """Give a temporary file the permissions of a normally created one (mkstemp uses 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def _unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


class AtomicFiles:
    """Several outputs that appear together or not at all.

    :meth:`path` hands out a temporary name beside each final path; :meth:`commit` renames
    them all, and on any failure every temporary file, and every final file already renamed
    by this group, is removed.  Use through :func:`atomic_files`.
    """

    def __init__(self) -> None:
        self._pending: list[tuple[Path, Path, bool]] = []  # (temporary, final, optional)

    def path(self, final: Path) -> Path:
        """A temporary path that becomes ``final`` on commit."""
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
        except OSError as exc:
            raise OutputError(f"{final}: cannot write here ({exc.strerror})") from exc
        os.close(fd)
        _readable(tmp)
        self._pending.append((Path(tmp), final, False))
        return Path(tmp)

    def sidecar(self, tmp: Path, final: Path) -> None:
        """Also rename ``tmp`` (written by someone else, maybe not at all) to ``final``.

        When ``tmp`` does not exist on commit, a stale ``final`` is removed instead (for
        example the index of a file that could not be indexed this time).
        """
        self._pending.append((tmp, final, True))

    def drop(self, tmp: Path) -> None:
        """Remove the temporary file ``tmp`` now: it was scratch space, not an output."""
        self._pending = [p for p in self._pending if p[0] != tmp]
        _unlink(str(tmp))

    def commit(self) -> None:
        """Rename every temporary file to its final name."""
        done: list[Path] = []
        try:
            for tmp, final, optional in self._pending:
                if optional and not tmp.exists():
                    _unlink(str(final))
                    continue
                os.replace(tmp, final)
                done.append(final)
        except OSError as exc:
            for final in done:
                _unlink(str(final))
            self.discard()
            raise OutputError(f"{final}: writing failed ({exc.strerror})") from exc
        self._pending.clear()

    def discard(self) -> None:
        """Remove every temporary file handed out."""
        for tmp, _, _ in self._pending:
            _unlink(str(tmp))
        self._pending.clear()


@contextlib.contextmanager
def atomic_files() -> Iterator[AtomicFiles]:
    """A group of outputs committed together when the block ends without an exception."""
    group = AtomicFiles()
    try:
        yield group
    except OSError as exc:
        group.discard()
        raise OutputError(f"writing outputs failed ({exc})") from exc
    except BaseException:
        group.discard()
        raise
    group.commit()
