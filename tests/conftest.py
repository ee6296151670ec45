"""Fixtures every test folder can use."""

from __future__ import annotations

import shutil
from collections.abc import Callable

import pytest

# The OS package that provides each client the interop tests run (Debian/Ubuntu names).
OS_PACKAGES = {"swaks": "swaks", "curl": "curl", "openssl": "openssl", "fetchmail": "fetchmail"}


def find_os_client(name: str) -> str:
    """The path of a client program from the OS; skips the test, saying how to install it, if absent."""
    path = shutil.which(name)
    if path is None:
        package = OS_PACKAGES.get(name, name)
        pytest.skip(f"{name} is not installed; this interop test needs it (apt-get install {package})")
    return path


@pytest.fixture
def os_client() -> Callable[[str], str]:
    """``os_client("swaks")``: the program's path, or the test is skipped with the reason."""
    return find_os_client


@pytest.fixture(autouse=True)
def _no_teacher_folders(monkeypatch: pytest.MonkeyPatch) -> None:
    """No teacher's folder from the environment, and none left behind by a test that added one."""
    from simulator import content

    monkeypatch.setattr(content, "_added", [])
    monkeypatch.delenv(content.ENV_FOLDERS, raising=False)


@pytest.fixture(autouse=True)
def _own_cache_folder(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each test starts with an empty cache folder of its own (never the user's), its CLI runs too."""
    from simulator.lesson import entry_cache

    monkeypatch.setenv(entry_cache.ENV_CACHE_DIR, str(tmp_path_factory.mktemp("cache")))
