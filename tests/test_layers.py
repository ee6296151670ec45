"""Layering: the domain packages never import Textual (checked in a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys

DOMAIN = [
    "simulator.trace",
    "simulator.protocols.smtp.server",
    "simulator.protocols.smtp.client",
    "simulator.net.world",
    "simulator.net.connection",
    "simulator.mail.store",
    "simulator.mail.queue",
    "simulator.mail.bounce",
    "simulator.agents.world",
    "simulator.scenario.runner",
    "simulator.scenario.loader",
]


def test_domain_packages_do_not_import_textual() -> None:
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in DOMAIN)
        + "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        + "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == ""


def test_protocol_machines_do_no_io() -> None:
    code = (
        "import sys\n"
        "import simulator.protocols.smtp.server, simulator.protocols.smtp.client\n"
        "bad = sorted(m for m in ('socket', 'asyncio', 'ssl', 'pydantic', 'simulator.scenario', 'simulator.net')"
        " if m in sys.modules)\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == ""
