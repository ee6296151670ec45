"""fetchmail downloads Bob's mail through ``mailsim serve``'s POP3 (2110), upgrading with STLS (RFC 2595 4)
and checking the certificate against the CA that ``--ca-out`` wrote; then it deletes what it fetched."""

from __future__ import annotations

import subprocess


def test_fetchmail_stls_downloads_and_deletes(served, os_client, tmp_path):
    sw = served()
    sw.deliver("First for fetchmail")
    sw.deliver("Second for fetchmail")
    out = tmp_path / "delivered.mbox"
    rc = tmp_path / "fetchmailrc"
    rc.write_text(
        f'poll localhost service {sw.port("pop3")} protocol POP3 user "bob@example.net" password "builder" '
        f'sslproto TLS1.2+ sslcertck sslcertfile {sw.bridge.ca_out} sslcommonname localhost '
        f'mda "cat >> {out}"\n', encoding="utf-8")
    rc.chmod(0o600)  # fetchmail refuses a run control file others can read
    proc = subprocess.run(
        [os_client("fetchmail"), "-f", str(rc), "--nodetach", "--nosyslog", "--idfile", str(tmp_path / "ids"),
         "-v"],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, env={"HOME": str(tmp_path),
                                                                                   "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "upgrade to TLS succeeded" in proc.stdout + proc.stderr
    text = out.read_text(encoding="utf-8")
    assert "Subject: First for fetchmail" in text and "Subject: Second for fetchmail" in text
    assert sw.count("bob@example.net") == 0  # fetchmail deleted both (DELE, then QUIT's UPDATE)
