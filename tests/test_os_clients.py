"""Interop tests skip, with the reason, when a client from the OS is missing."""

from __future__ import annotations

import pytest


def test_a_missing_client_skips_with_how_to_install_it(os_client, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no swaks, curl or openssl
    for name in ("swaks", "curl", "openssl"):
        with pytest.raises(pytest.skip.Exception) as info:
            os_client(name)
        assert str(info.value) == f"{name} is not installed; this interop test needs it (apt-get install {name})"


def test_a_present_client_is_found(os_client, monkeypatch, tmp_path) -> None:
    tool = tmp_path / "swaks"
    tool.write_text("#!/bin/sh\n", encoding="utf-8")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert os_client("swaks") == str(tool)
