"""A file OpenSSL can open by path that lives in memory where the system allows.

The ``ssl`` module takes certificates, keys and the key log only as file
names (``load_cert_chain``, ``keylog_filename``). On Linux an anonymous
``memfd`` is opened through ``/proc/self/fd``, so nothing touches the disk;
elsewhere a private temporary file is used and removed on :meth:`close`.
"""

from __future__ import annotations

import os
import tempfile


class MemoryFile:
    def __init__(self, name: str, data: bytes = b"") -> None:
        self._temp = ""
        if hasattr(os, "memfd_create") and os.path.isdir("/proc/self/fd"):
            self._fd = os.memfd_create(name, os.MFD_CLOEXEC)
            self.path = f"/proc/self/fd/{self._fd}"
        else:
            self._fd, self._temp = tempfile.mkstemp(prefix=f"mailsim-{name}-")
            self.path = self._temp
        if data:
            os.write(self._fd, data)

    def read(self) -> bytes:
        """Everything written so far (by us or by whoever opened :attr:`path`)."""
        chunks, offset = [], 0
        while chunk := os.pread(self._fd, 65536, offset):
            chunks.append(chunk)
            offset += len(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if self._temp:
            os.unlink(self._temp)
            self._temp = ""

    def __enter__(self) -> MemoryFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
