"""The workspace lifecycle the server and the CLI share (app/workspace.py)."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

from typehole.app.settings import Settings
from typehole.app.workspace import SettingsChange, load_settings


def test_load_settings_layers_pyproject_and_client_options(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.typehole.context]\nshare = 0.3\ndeadlineMs = 80\n", encoding="utf-8"
    )
    settings, problems = load_settings(tmp_path, {"typehole": {"context": {"share": 0.2}}})
    assert problems == []
    assert settings.context.share == 0.2  # the client's options are the newest source
    assert settings.context.deadline_ms == 80  # what the client left alone stays


def test_load_settings_names_the_source_of_a_bad_value(tmp_path: Path) -> None:
    settings, problems = load_settings(tmp_path, {"context": {"share": 5}})
    assert settings.context.share == Settings().context.share
    assert len(problems) == 1
    assert "initializationOptions" in problems[0] and "context.share" in problems[0]


def test_a_command_reads_the_environment_and_no_client_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TYPEHOLE_MODEL", "ngram")
    settings, problems = load_settings(tmp_path)
    assert (settings, problems) == (attrs.evolve(Settings(), model="ngram"), [])


def test_settings_change_says_what_to_redo() -> None:
    base = Settings()
    other_model = attrs.evolve(base, model="ngram" if base.model != "ngram" else "embedded")
    assert SettingsChange.between(base, other_model) == SettingsChange(
        pipeline=True, oracle=False, learn=True)
    less_context = attrs.evolve(base, context=attrs.evolve(base.context, share=0.1))
    assert SettingsChange.between(base, less_context) == SettingsChange(
        pipeline=True, oracle=True, learn=False)
    shorter = attrs.evolve(base, completion=attrs.evolve(base.completion, max_tokens=8))
    assert SettingsChange.between(base, shorter) == SettingsChange(
        pipeline=False, oracle=False, learn=False)
