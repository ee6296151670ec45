"""Lesson progress: done or not, the last step seen, and quiz answers, in a JSON file.

The file lives in the user's data directory (platformdirs), or in
``$MAILSIM_DATA_DIR`` when that is set (tests and classrooms use it). A file
that cannot be read is set aside as ``progress.json.bad`` and progress starts
afresh: losing a score must never stop a student from opening a lesson.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENV_DATA_DIR = "MAILSIM_DATA_DIR"
FILE_NAME = "progress.json"
VERSION = 1


def data_dir() -> Path:
    override = os.environ.get(ENV_DATA_DIR)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir("mailsim", appauthor=False))


@dataclass
class LessonProgress:
    done: bool = False
    last_step: int = 0
    answers: dict[str, bool] = field(default_factory=dict)  # step id -> answered right

    @property
    def right(self) -> int:
        return sum(self.answers.values())

    @property
    def answered(self) -> int:
        return len(self.answers)

    @property
    def started(self) -> bool:
        return self.done or self.last_step > 0 or bool(self.answers)

    def to_json(self) -> dict[str, Any]:
        return {"done": self.done, "last_step": self.last_step, "answers": dict(self.answers)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LessonProgress:
        answers = data.get("answers", {})
        return cls(
            done=bool(data.get("done", False)),
            last_step=int(data.get("last_step", 0)),
            answers={str(k): bool(v) for k, v in answers.items()} if isinstance(answers, dict) else {},
        )


class ProgressStore:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else data_dir() / FILE_NAME
        self.lessons: dict[str, LessonProgress] = {}
        self._load()

    def _load(self) -> None:
        if not self.path.is_file():
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            lessons = data["lessons"]
            self.lessons = {str(k): LessonProgress.from_json(v) for k, v in lessons.items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            try:
                self.path.replace(self.path.with_name(FILE_NAME + ".bad"))
            except OSError:
                pass
            self.lessons = {}

    def save(self) -> None:
        data = {"version": VERSION, "lessons": {k: v.to_json() for k, v in sorted(self.lessons.items())}}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(FILE_NAME + ".tmp")
            tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
            tmp.replace(self.path)
        except OSError:
            pass  # a read-only home must not break the lesson

    def get(self, lesson_id: str) -> LessonProgress:
        return self.lessons.get(lesson_id) or LessonProgress()

    def _entry(self, lesson_id: str) -> LessonProgress:
        return self.lessons.setdefault(lesson_id, LessonProgress())

    def record_answer(self, lesson_id: str, step_id: str, correct: bool) -> None:
        """Keep the first answer to each question: that is the prediction that counts."""
        entry = self._entry(lesson_id)
        entry.answers.setdefault(step_id, correct)
        self.save()

    def set_position(self, lesson_id: str, step: int, *, done: bool = False) -> None:
        entry = self._entry(lesson_id)
        entry.last_step = step
        entry.done = entry.done or done
        self.save()

    def reset(self, lesson_id: str) -> None:
        self.lessons.pop(lesson_id, None)
        self.save()
