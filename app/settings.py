"""typehole's settings: one typed schema, read from every source, validated with clear messages.

Sources, later ones winning key by key: defaults, the environment (`TYPEHOLE_MODEL`),
`[tool.typehole]` in the workspace's pyproject.toml, the client's `initializationOptions`, then
`workspace/configuration` (section `typehole`). Keys are camelCase on the wire; snake_case and
kebab-case are accepted too (pyproject style). A bad value never stops the server: it is reported
and that one setting keeps its default.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import attrs
import cattrs

from typehole.context.settings import ContextSettings
from typehole.features.completion.settings import CompletionSettings
from typehole.features.fill.settings import FillSettings
from typehole.features.next_edit.settings import NextEditSettings
from typehole.models.spec import ModelSpec
from typehole.monitors.settings import MonitorSettings

__all__ = [
    "BUILTIN_MODELS", "DEFAULT_MODEL", "MODEL_ENV", "Settings", "TrainingSettings",
    "environment_source", "merge", "normalise_keys", "read_pyproject", "resolve", "to_raw",
    "validate",
]


@attrs.frozen
class TrainingSettings:
    """What a model that learns the workspace (the `ngram` model) reads of it."""

    max_files: int = attrs.field(default=5000, validator=attrs.validators.ge(0))
    max_file_bytes: int = attrs.field(default=1_000_000, validator=attrs.validators.ge(1))


# Models every workspace has without configuring anything; a `models` entry of the same name
# replaces one. `embedded` runs the model `typehole[embedded]` installs in typehole's own
# llama.cpp engine; `ngram` is the n-gram model of the workspace's own code.
BUILTIN_MODELS: dict[str, ModelSpec] = {
    # A CPU model's first long prompt can take well over the 10 s a model server gets.
    "embedded": ModelSpec(name="embedded", backend="embedded", timeout_s=60.0),
    "ngram": ModelSpec(name="ngram", backend="ngram"),
}
DEFAULT_MODEL = "embedded"
# The environment variable that names the model for one process (scripts, CI, tests) when the
# workspace's own settings name none.
MODEL_ENV = "TYPEHOLE_MODEL"


@attrs.frozen
class Settings:
    """Every typehole setting with its default: one section per layer that reads it."""

    model: str = DEFAULT_MODEL
    models: dict[str, ModelSpec] = attrs.field(factory=dict)
    completion: CompletionSettings = CompletionSettings()
    context: ContextSettings = ContextSettings()
    monitors: MonitorSettings = MonitorSettings()
    fill: FillSettings = FillSettings()
    next_edit: NextEditSettings = NextEditSettings()
    training: TrainingSettings = TrainingSettings()
    exclude: tuple[str, ...] = ()
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    def model_specs(self) -> dict[str, ModelSpec]:
        """The built-in models and the configured ones, by name."""
        return {**BUILTIN_MODELS, **self.models}


_converter = cattrs.Converter(forbid_extra_keys=True)


def _strict(kind: type, accepts: tuple[type, ...]) -> None:
    """Reject values of the wrong JSON type instead of coercing them (`bool("false")` is True)."""

    def structure(value: Any, _: type) -> Any:
        if isinstance(value, bool) and kind is not bool:
            raise TypeError(f"expected {kind.__name__}, got a boolean")
        if not isinstance(value, accepts):
            raise TypeError(f"expected {kind.__name__}, got {type(value).__name__} {value!r}")
        return kind(value)

    _converter.register_structure_hook(kind, structure)


def _string_tuple(value: Any, _: type) -> tuple[str, ...]:
    # A lone string would otherwise be split into its characters.
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise TypeError(f"expected a list of strings, got {type(value).__name__} {value!r}")
    if not all(isinstance(item, str) for item in value):
        raise TypeError(f"expected a list of strings, got {value!r}")
    return tuple(value)


_converter.register_structure_hook_func(lambda t: t == tuple[str, ...], _string_tuple)
_strict(bool, (bool,))
_strict(int, (int,))
_strict(float, (int, float))
_strict(str, (str,))
for _cls in (
    CompletionSettings,
    ContextSettings,
    MonitorSettings,
    FillSettings,
    NextEditSettings,
    TrainingSettings,
    Settings,
):
    attrs.resolve_types(_cls)


def _structure_models(value: Any, _: type) -> dict[str, ModelSpec]:
    # The entry's name is its key; ModelSpec validates the whole entry as it is built.
    if not isinstance(value, Mapping):
        raise TypeError(f"expected an object of models, got {type(value).__name__}")
    return {str(name): _model_spec(str(name), entry) for name, entry in value.items()}


def _model_spec(name: str, entry: Any) -> ModelSpec:
    if isinstance(entry, ModelSpec):
        return entry
    if not isinstance(entry, Mapping):
        raise TypeError(f"expected an object, got {type(entry).__name__} {entry!r}")
    if entry.get("name", name) != name:
        raise TypeError("'name' is the entry's key, not a field")
    return _converter.structure({**entry, "name": name}, ModelSpec)


_converter.register_structure_hook_func(lambda t: t == dict[str, ModelSpec], _structure_models)


def _snake(key: str) -> str:
    key = key.replace("-", "_")
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key).lower()


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part.title() for part in rest)


def normalise_keys(raw: Any) -> Any:
    """Turn camelCase / kebab-case keys into snake_case, recursively (model names are kept)."""
    if not isinstance(raw, Mapping):
        return raw
    out: dict[str, Any] = {}
    for key, value in raw.items():
        name = _snake(str(key))
        if name == "models" and isinstance(value, Mapping):
            out[name] = {str(k): normalise_keys(v) for k, v in value.items()}
        else:
            out[name] = normalise_keys(value)
    return out


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge two normalised setting dicts; `override` wins key by key."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def validate(raw: Any, source: str) -> tuple[dict[str, Any], list[str]]:
    """The valid part of one source's raw settings (normalised) and one message per problem.

    Unknown keys and invalid values are reported with their full dotted name and dropped, so the
    rest of the configuration still applies.
    """
    problems: list[str] = []
    if raw is None:
        return {}, problems
    if not isinstance(raw, Mapping):
        return {}, [f"{source}: settings must be an object, got {type(raw).__name__}"]
    return _clean(Settings, normalise_keys(raw), "typehole", source, problems), problems


def _clean(cls: type, raw: Mapping[str, Any], where: str, source: str, problems: list[str]) -> dict:
    """Keep only the keys of `cls` whose values structure and validate; report the rest."""
    fields = {f.name: f for f in attrs.fields(cls)}
    kept: dict[str, Any] = {}
    for key, value in raw.items():
        name = f"{where}.{_camel(key)}"
        field = fields.get(key)
        if field is None:
            problems.append(f"{source}: unknown setting {name!r} (ignored)")
            continue
        if attrs.has(field.type) and isinstance(value, Mapping):
            kept[key] = _clean(field.type, value, name, source, problems)
            continue
        if key == "models" and isinstance(value, Mapping):
            kept[key] = _clean_models(value, name, source, problems)
            continue
        try:
            _converter.structure({key: value}, _single_field_class(cls, key))
        except Exception as exc:  # cattrs raises a group of per-field errors; keep it readable
            problems.append(f"{source}: invalid value {value!r} for {name!r}: {_reason(exc)}")
            continue
        kept[key] = value
    return kept


def _clean_models(raw: Mapping[str, Any], where: str, source: str, problems: list[str]) -> dict:
    kept: dict[str, Any] = {}
    for model_name, entry in raw.items():
        try:
            _model_spec(str(model_name), entry)
        except Exception as exc:
            problems.append(f"{source}: invalid model {where}.{model_name}: {_reason(exc)}")
            continue
        kept[model_name] = entry
    return kept


_single_field_classes: dict[tuple[type, str], type] = {}


def _single_field_class(cls: type, key: str) -> type:
    """An attrs class holding only field `key` of `cls`, to check one value in isolation."""
    found = _single_field_classes.get((cls, key))
    if found is None:
        field = next(f for f in attrs.fields(cls) if f.name == key)
        found = attrs.make_class(
            f"{cls.__name__}_{key}",
            {key: attrs.field(type=field.type, validator=field.validator)},
            frozen=True,
        )
        _single_field_classes[(cls, key)] = found
    return found


def _reason(exc: BaseException) -> str:
    leaves: list[str] = []

    def walk(e: BaseException) -> None:
        inner = getattr(e, "exceptions", None)
        if inner:
            for sub in inner:
                walk(sub)
        elif isinstance(e, KeyError):
            leaves.append(f"missing required key {e.args[0]!r}")
        elif e.args and isinstance(e.args[0], str):
            leaves.append(e.args[0])
        else:
            leaves.append(str(e))

    walk(exc)
    return "; ".join(leaves) or type(exc).__name__


def environment_source() -> list[tuple[str, Any]]:
    """The settings source of the environment: `TYPEHOLE_MODEL` names the model (the lowest
    source after the defaults, so a workspace's or editor's own choice wins)."""
    model = os.environ.get(MODEL_ENV, "").strip()
    return [(f"environment {MODEL_ENV}", {"model": model})] if model else []


def read_pyproject(root: Path) -> tuple[dict[str, Any], list[str]]:
    """The `[tool.typehole]` table of `root/pyproject.toml` (empty when absent)."""
    path = root / "pyproject.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, []
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return {}, [f"{path}: cannot read [tool.typehole]: {exc}"]
    table = data.get("tool", {}).get("typehole", {})
    if not isinstance(table, dict):
        return {}, [f"{path}: [tool.typehole] must be a table"]
    return table, []


def resolve(sources: list[tuple[str, Any]]) -> tuple[Settings, list[str]]:
    """Validate each (source name, raw settings) in order and merge the valid parts."""
    merged: dict[str, Any] = {}
    problems: list[str] = []
    for source, raw in sources:
        cleaned, found = validate(raw, source)
        problems.extend(found)
        merged = merge(merged, cleaned)
    return _converter.structure(merged, Settings), problems


def to_raw(settings: Settings) -> dict[str, Any]:
    """Plain dict form of `settings` (snake_case keys), e.g. to re-merge with a newer source."""
    return _converter.unstructure(settings)
