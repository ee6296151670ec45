"""Mail hosts offer services by protocol and port; the registry names the service."""

from __future__ import annotations

import pytest

from simulator.agents.world import build_world


def test_the_default_world_listens_by_protocol():
    world = build_world()
    mx = world.net.host("mx.example.net")
    assert mx.services[25].name == "smtp" and mx.services[587].name == "submission"
    conn = world.net.connect("bob-laptop", "mx.example.net", 587)
    assert conn is not None and conn.machine.table.machine == "smtp.server"


def test_listen_on_the_implicit_tls_port_names_submissions():
    world = build_world()
    mh = world.mailhosts["mail.example.org"]
    service = mh.listen("smtp", 465)
    assert (service.name, service.implicit_tls) == ("submissions", True)
    service = mh.listen("smtp", 2526)
    assert (service.name, service.implicit_tls) == ("smtp", False)


def test_listen_refuses_a_protocol_the_host_does_not_run():
    mh = build_world().mailhosts["mail.example.org"]
    with pytest.raises(KeyError, match="gopher"):
        mh.listen("gopher", 70)
