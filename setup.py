"""Copies the top-level scenarios/ and lessons/ into the wheel as simulator/content/."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).parent


class BuildPyWithContent(build_py):
    def run(self) -> None:
        super().run()
        for folder in ("scenarios", "lessons"):
            source = ROOT / folder
            target = Path(self.build_lib) / "simulator" / "content" / folder
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(source, target)


setup(cmdclass={"build_py": BuildPyWithContent})
