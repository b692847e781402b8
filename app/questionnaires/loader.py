"""Reading questionnaire files from disk, with errors that say which file and where."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from .schema import Questionnaire


class QuestionnaireFileError(Exception):
    """A questionnaire file that cannot be used; the message names the file, place and problem."""


@dataclass(frozen=True)
class LoadedQuestionnaire:
    path: Path
    questionnaire: Questionnaire
    #: The validated content as plain data; what a conversation's snapshot stores.
    content: dict
    #: SHA-256 of ``content`` in canonical JSON: two files with the same content share it.
    content_sha256: str


def _place(loc: tuple) -> str:
    return (
        "".join(
            f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p))
            for i, p in enumerate(loc)
        )
        or "(top level)"
    )


def canonical_sha256(content: dict) -> str:
    blob = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def load_questionnaire_file(path: Path) -> LoadedQuestionnaire:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise QuestionnaireFileError(f"{path}: not valid YAML{where}: {problem}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise QuestionnaireFileError(f"{path}: cannot be read: {exc}") from exc
    if not isinstance(raw, dict):
        raise QuestionnaireFileError(f"{path}: expected a mapping at the top level")
    try:
        questionnaire = Questionnaire.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{_place(err['loc'])}: {err['msg']}" for err in exc.errors())
        raise QuestionnaireFileError(f"{path}: {problems}") from exc
    content = questionnaire.model_dump(mode="json")
    return LoadedQuestionnaire(path, questionnaire, content, canonical_sha256(content))


def _version_key(version: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in version.replace("-", ".").split("."))


class QuestionnaireRegistry:
    """All questionnaire files of a folder, validated; the newest version of each key is current."""

    def __init__(self, loaded: list[LoadedQuestionnaire]):
        self._by_key_version: dict[tuple[str, str], LoadedQuestionnaire] = {}
        for item in loaded:
            q = item.questionnaire
            other = self._by_key_version.get((q.key, q.version))
            if other is not None:
                raise QuestionnaireFileError(
                    f"{item.path}: key {q.key!r} version {q.version!r} is also in {other.path}"
                )
            self._by_key_version[(q.key, q.version)] = item

    @classmethod
    def from_folder(cls, folder: Path) -> QuestionnaireRegistry:
        files = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))
        if not files:
            raise QuestionnaireFileError(f"{folder}: no questionnaire files (*.yaml) found")
        return cls([load_questionnaire_file(f) for f in files])

    def current(self, key: str) -> LoadedQuestionnaire:
        versions = [v for k, v in self._by_key_version if k == key]
        if not versions:
            raise KeyError(key)
        return self._by_key_version[(key, max(versions, key=_version_key))]

    def question_ids(self, key: str) -> set[str]:
        """Every question id any version of the questionnaire ``key`` has."""
        return {
            question_id
            for (k, _version), item in self._by_key_version.items()
            if k == key
            for question_id in item.questionnaire.questions_by_id
        }
