"""Every setting is documented: a field of the Settings class that the README does not name fails."""

from __future__ import annotations

import re
from pathlib import Path

from assistant.config import PROJECT_ROOT, Settings


def documented_names(readme: str) -> set[str]:
    """`ASSISTANT_LLM_TIMEOUT`, and the short forms `_LLM_THREADS` that follow it in a table cell."""
    return set(re.findall(r"`ASSISTANT_([A-Z0-9_]+)`", readme)) | set(re.findall(r"`_([A-Z0-9_]+)`", readme))


def test_every_setting_is_in_the_readme() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    missing = sorted(name for name in Settings.model_fields if name.upper() not in documented_names(readme))
    assert not missing, f"settings missing from README.md's Configuration tables: {missing}"


def test_the_readme_names_no_setting_that_does_not_exist() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    fields = {name.upper() for name in Settings.model_fields}
    unknown = sorted(n for n in re.findall(r"`ASSISTANT_([A-Z0-9_]+)`", readme) if n not in fields)
    assert not unknown, f"README.md documents settings that Settings does not have: {unknown}"


def test_the_name_check_sees_a_missing_setting() -> None:
    assert "LLM_THREADS" in documented_names("| `ASSISTANT_LLM_TIMEOUT`, `_LLM_THREADS` |")
    assert "RETENTION_DAYS" not in documented_names("| `ASSISTANT_LLM_TIMEOUT` |")


def test_the_contract_lives_in_the_repository() -> None:
    """The code's references to CONTRACT.md / MODELS.md resolve inside the repository; where the
    shared copy is present, the repository's copy still holds all of it."""
    for name in ("CONTRACT.md", "MODELS.md"):
        own = PROJECT_ROOT / name
        assert own.is_file(), name
        shared = PROJECT_ROOT.parent / "shared" / name
        if shared.is_file():
            assert shared.read_text(encoding="utf-8").strip() in own.read_text(encoding="utf-8"), name


def test_no_code_refers_to_the_shared_folder() -> None:
    offenders = [
        str(p.relative_to(PROJECT_ROOT))
        for folder in ("assistant", "ingest", "evals", "bench")
        for p in Path(PROJECT_ROOT / folder).rglob("*")
        if p.suffix in {".py", ".yaml", ".js"} and "../shared/" in p.read_text(encoding="utf-8")
    ]
    assert not offenders, offenders
