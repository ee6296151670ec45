"""Copies the top-level scenarios/, lessons/ and schema/ into the wheel as simulator/content/
(schema/ beside the others, so the files' "$schema=../schema/..." lines hold there too)."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).parent


class BuildPyWithContent(build_py):
    def run(self) -> None:
        super().run()
        for folder in ("scenarios", "lessons", "schema"):
            source = ROOT / folder
            target = Path(self.build_lib) / "simulator" / "content" / folder
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(source, target)


setup(cmdclass={"build_py": BuildPyWithContent})
