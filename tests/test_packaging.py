"""A non-editable install carries the bundled scenarios and lessons inside the wheel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_ships_content_and_installed_copy_runs(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".git", ".venv*", "build", "*.egg-info",
                                                              "__pycache__", ".hypothesis"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(src)],
                   check=True, timeout=300)
    (wheel,) = (tmp_path / "dist").glob("mailsim-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for folder in ("scenarios", "lessons"):
        bundled = sorted(p.name for p in (ROOT / folder).glob("*.yaml"))
        shipped = sorted(Path(n).name for n in names if n.startswith(f"simulator/content/{folder}/"))
        assert shipped == bundled, folder
    demo_keys = [n for n in names if n.startswith("simulator/security/demo-keys/") and n.endswith(".pem")]
    assert len(demo_keys) == 12  # DKIM's demonstration keys (simulator/security/keys.py)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    # The dependencies come from the environment running the tests (a .pth line puts its
    # site-packages after the new venv's own); its .pth files, the editable install's
    # finder among them, are not processed there, so `simulator` is the wheel's copy.
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True, timeout=60).stdout.strip()
    parents = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    (Path(site) / "_test_parent_env.pth").write_text("".join(f"{p}\n" for p in parents), encoding="utf-8")
    subprocess.run([str(py), "-m", "pip", "install", "--no-deps", "-q", str(wheel)], check=True, timeout=300)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the installed copy alone
    where = subprocess.run([str(py), "-c", "import simulator.content as c; print(c.scenarios_dir())"],
                           cwd=elsewhere, capture_output=True, text=True, check=True, timeout=60, env=env)
    assert str(venv) in where.stdout  # the installed copy, not this source tree
    mailsim = venv / "bin" / "mailsim"
    run = subprocess.run([str(mailsim), "run", "-q", "smtp-basics"], cwd=elsewhere,
                         capture_output=True, text=True, timeout=120, env=env)
    assert run.returncode == 0, run.stderr
    assert "every expectation met" in run.stdout
    # mailsim new's templates ship too, and what it writes runs from the installed copy
    from simulator.authoring.scaffold import TEMPLATES

    shipped = sorted(n for n in names if n.startswith("simulator/authoring/templates/"))
    assert shipped == sorted(f"simulator/authoring/templates/{t}/{f}" for t in TEMPLATES
                             for f in ("lesson.yaml", "scenario.yaml"))
    made = subprocess.run([str(mailsim), "new", "demo", "--from", "spoofing"], cwd=elsewhere,
                          capture_output=True, text=True, timeout=120, env=env)
    assert made.returncode == 0, made.stderr
    run = subprocess.run([str(mailsim), "run", "-q", "demo.yaml"], cwd=elsewhere,
                         capture_output=True, text=True, timeout=120, env=env)
    assert run.returncode == 0 and "every expectation met" in run.stdout, run.stderr
