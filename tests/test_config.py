"""The settings schema: sources merge key by key, every problem is named, bad values default."""

from __future__ import annotations

from pathlib import Path

from typehole.app.settings import read_pyproject, resolve


def test_later_sources_win_key_by_key() -> None:
    settings, problems = resolve(
        [
            ("pyproject", {"completion": {"max-tokens": 32, "max_lines": 4}}),
            ("init", {"completion": {"maxLines": 6}, "context": {"share": 0.2}}),
        ]
    )
    assert problems == []
    assert settings.completion.max_tokens == 32  # kept from the earlier source
    assert settings.completion.max_lines == 6
    assert settings.context.share == 0.2


def test_each_problem_is_named_and_only_that_setting_defaults() -> None:
    settings, problems = resolve(
        [
            (
                "init",
                {
                    "completion": {"maxTokens": "many", "bogus": 1, "enabled": False},
                    "logLevel": "loud",
                    "exclude": "build/**",
                    "models": {"bad": {"backend": "nope", "url": "http://x"}},
                },
            )
        ]
    )
    text = "\n".join(problems)
    assert "typehole.completion.maxTokens" in text
    assert "unknown setting 'typehole.completion.bogus'" in text
    assert "typehole.logLevel" in text
    assert "typehole.exclude" in text and "list of strings" in text
    assert "typehole.models.bad" in text
    assert settings.completion.max_tokens == 64 and settings.completion.enabled is False
    assert settings.exclude == () and settings.models == {}


def test_no_coercion_of_wrong_types() -> None:
    settings, problems = resolve([("init", {"completion": {"enabled": "false"}})])
    assert settings.completion.enabled is True
    assert problems and "expected bool" in problems[0]


def test_pyproject_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.typehole]\nmodel = "q"\n[tool.typehole.models.q]\nbackend = "ollama"\n'
        'url = "http://127.0.0.1:11434"\nmodel = "qwen2.5-coder:1.5b-base"\n'
    )
    table, problems = read_pyproject(tmp_path)
    settings, found = resolve([("pyproject", table)])
    assert problems == found == []
    assert settings.model == "q" and settings.models["q"].backend == "ollama"


def test_broken_pyproject_is_reported(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.typehole\n")
    table, problems = read_pyproject(tmp_path)
    assert table == {} and "cannot read" in problems[0]


def test_a_bad_model_entry_is_reported_when_read_not_at_first_use() -> None:
    settings, problems = resolve([("init", {
        "model": "bad",
        "models": {
            "bad": {"backend": "llamacpp", "url": "localhost:8080"},
            "good": {"backend": "openai", "url": "http://127.0.0.1:8000/v1", "maxTokens": 64},
        },
    })])
    assert problems == ["init: invalid model typehole.models.bad: model 'bad': url "
                        "'localhost:8080' must start with http:// or https://"]
    assert set(settings.models) == {"good"}
    assert settings.models["good"].name == "good" and settings.models["good"].max_tokens == 64
    assert set(settings.model_specs()) == {"embedded", "ngram", "good"}


def test_one_monitor_schema_for_editor_fill_and_guided_decoding() -> None:
    from typehole.app.hub import pipeline_options
    from typehole.features.fill import FillOptions
    from typehole.monitors import MonitorSettings

    settings, problems = resolve([("init", {"monitors": {"names": False,
                                                         "triggerTimeoutMs": 90}})])
    assert problems == []
    # The settings section is the monitors' own class: nothing to copy, nothing to drift.
    assert type(settings.monitors) is MonitorSettings
    assert settings.monitors == MonitorSettings(names=False, trigger_timeout_ms=90)
    # Editor runs take the user's timeout; batch runs wait longer but keep every switch.
    assert pipeline_options(settings).guided_settings.trigger_timeout_ms == 90
    batch = pipeline_options(settings, interactive=False).guided_settings
    assert batch.names is False and batch.trigger_timeout_ms > 90
    # A fill defaults to the same settings an editor completion uses.
    assert FillOptions().monitors == MonitorSettings() == resolve([])[0].monitors
