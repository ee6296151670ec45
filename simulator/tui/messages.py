"""Requests that widgets and screens post upward (attributes down, messages up)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual.message import Message


@dataclass
class StepRequested(Message):
    """Show another step: ``target`` is "next", "back", "home", "end", or a step index."""

    target: str | int


@dataclass
class LessonChosen(Message):
    """Open a lesson or scenario file in the player."""

    path: Path
    lesson_id: str = ""


@dataclass
class SandboxChosen(Message):
    protocol: str = "smtp"
