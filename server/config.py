"""typehole's settings: one typed schema, read from every source, validated with clear messages.

Sources, later ones winning key by key: defaults, `[tool.typehole]` in the workspace's
pyproject.toml, the client's `initializationOptions`, then `workspace/configuration` (section
`typehole`). Keys are camelCase on the wire; snake_case and kebab-case are accepted too (pyproject
style). A bad value never stops the server: it is reported and that one setting keeps its default.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import attrs
import cattrs


@attrs.frozen
class CompletionSettings:
    """Inline completion behaviour."""

    enabled: bool = True
    max_tokens: int = attrs.field(default=64, validator=attrs.validators.in_(range(1, 4097)))
    max_lines: int = attrs.field(default=12, validator=attrs.validators.in_(range(1, 201)))
    prompt_budget: int = attrs.field(
        default=1024, validator=attrs.validators.in_(range(32, 131073))
    )
    # `textDocument/completion` with one item, for editors without inline completion (Helix, Zed).
    completion_fallback: bool = False
    cache: bool = True


@attrs.frozen
class ContextSettings:
    """Cross-file and typed-hole context put in front of the model."""

    enabled: bool = True
    # Share of the prompt budget the context may take (the rest is the code around the cursor).
    share: float = attrs.field(
        default=0.4, validator=[attrs.validators.ge(0.0), attrs.validators.le(0.9)]
    )
    # Stages that would start after this many milliseconds are skipped (the editor is waiting).
    deadline_ms: float = attrs.field(default=60.0, validator=attrs.validators.gt(0))
    # Where the index is cached (default: the user's cache folder).
    cache_dir: str | None = None


@attrs.frozen
class MonitorsSettings:
    """Static analysis that constrains what the model may write (monitor-guided decoding)."""

    enabled: bool = True
    dereference: bool = True
    call_arguments: bool = True
    names: bool = True
    imports: bool = True
    syntax: bool = True
    # Generate-check-repair for servers without constraints (OpenAI-compatible, Ollama): it sends
    # extra requests, so it is opt-in.
    check_unconstrained: bool = False
    max_rounds: int = attrs.field(default=3, validator=attrs.validators.in_(range(0, 11)))
    # An editor's completion waits at most this long for its triggers' analysis, all together.
    trigger_timeout_ms: int = attrs.field(default=150, validator=attrs.validators.ge(1))


@attrs.frozen
class FillSettings:
    """"Fill this hole": what counts as a hole, and the error rounds that refine a fill."""

    rounds: int = attrs.field(default=2, validator=attrs.validators.in_(range(0, 6)))
    # Expressions that mark a hole where a value belongs (`total = ...`).
    placeholders: tuple[str, ...] = ("...",)
    # The type checker run on the patched file: one installed ("auto"), a named one, or none.
    type_checker: Literal["auto", "mypy", "pyright", "none"] = "auto"


@attrs.frozen
class LocalModelSettings:
    """The embedded `local` model: an n-gram model trained on the workspace."""

    order: int = attrs.field(default=4, validator=attrs.validators.in_(range(2, 9)))
    max_files: int = attrs.field(default=5000, validator=attrs.validators.ge(0))
    max_file_bytes: int = attrs.field(default=1_000_000, validator=attrs.validators.ge(1))


@attrs.frozen
class ModelEntry:
    """A user-configured model; the fields mirror `typehole.models.spec.ModelSpec`.

    `backend = "embedded"` runs the GGUF file at `path` (default: the model `typehole[embedded]`
    installs) in typehole's own llama.cpp engine; the others name a server at `url`.
    """

    backend: Literal["embedded", "llamacpp", "openai", "vllm", "ollama"]
    url: str = ""
    model: str = ""
    fim_template: str = "auto"
    fim_prefix: str = ""
    fim_suffix: str = ""
    fim_middle: str = ""
    fim_order: Literal["psm", "spm"] = "psm"
    stop: tuple[str, ...] = ()
    api_key_env: str | None = None
    context_window: int = 4096
    timeout_s: float = 10.0
    connect_timeout_s: float = 3.0
    max_tokens: int = 256
    extra_body: dict[str, Any] = attrs.field(factory=dict)
    path: str = ""
    threads: int = 0
    load_timeout_s: float = 120.0


@attrs.frozen
class Settings:
    """Every typehole setting with its default."""

    model: str = "local"
    models: dict[str, ModelEntry] = attrs.field(factory=dict)
    completion: CompletionSettings = CompletionSettings()
    context: ContextSettings = ContextSettings()
    monitors: MonitorsSettings = MonitorsSettings()
    fill: FillSettings = FillSettings()
    local: LocalModelSettings = LocalModelSettings()
    exclude: tuple[str, ...] = ()
    log_level: Literal["debug", "info", "warning", "error"] = "info"


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
    MonitorsSettings,
    FillSettings,
    LocalModelSettings,
    ModelEntry,
    Settings,
):
    attrs.resolve_types(_cls)


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
            _converter.structure(entry, ModelEntry)
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
