"""Fill-in-the-middle prompt templates per code-model family, their stop tokens, family detection.

Wrong FIM tokens make a model write nonsense, so every template here is spelled exactly as the
model's tokenizer defines its special tokens (sources cited beside each one), the family is
detected from the model name when the user does not name it, and `describe` says which template is
in use and why.

Cross-file context reaches a template in two forms:
- `CompletionRequest.context`: one text assembled by `context/`; placed verbatim right before the
  prefix (it is "exactly what is put in front of the model").
- named files in `request.extra["context_files"]` (a sequence of `ContextFile`, `(filename, text)`
  pairs or `{"filename", "text"}` mappings): rendered the way the family was trained on repository
  data: Qwen2.5-Coder `<|repo_name|>`/`<|file_sep|>`, StarCoder2 `<repo_name>`/`<file_sep>`,
  DeepSeek-Coder `#path` headers, and for the others commented-out blocks with a `# Path:` line.
  `request.extra["repo_name"]` names the repository for the families that have a token for it.

`request.extra["raw_prompt"]` (true) says the prefix is already the whole prompt, in a format the
model was trained on (a next-edit prompt): it is sent as it is, with no template, no file
header, no `/infill` and no token healing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from .base import CompletionRequest
    from .spec import ModelSpec
    from .window import FittedParts

__all__ = [
    "EXTRA_CONTEXT_FILES",
    "EXTRA_RAW_PROMPT",
    "EXTRA_REPO_NAME",
    "FAMILIES",
    "TEMPLATE_CHOICES",
    "ContextFile",
    "FimTemplate",
    "TemplateChoice",
    "context_files",
    "detect_family",
    "merge_stops",
    "render_prompt",
    "raw_prompt",
    "repo_name",
    "resolve_template",
]

EXTRA_CONTEXT_FILES = "context_files"
EXTRA_REPO_NAME = "repo_name"
EXTRA_RAW_PROMPT = "raw_prompt"

ContextStyle = Literal["repo", "path_header", "comment"]


@dataclass(frozen=True)
class ContextFile:
    """One cross-file context snippet: a workspace-relative file name and the text shown from it."""

    filename: str
    text: str


def raw_prompt(request: CompletionRequest) -> bool:
    """Whether the request's prefix is the whole prompt, to send as it is."""
    return request.extra.get(EXTRA_RAW_PROMPT) is True


def context_files(request: CompletionRequest) -> tuple[ContextFile, ...]:
    """The named cross-file context snippets a request carries in `extra["context_files"]`."""
    raw = request.extra.get(EXTRA_CONTEXT_FILES)
    if not raw or isinstance(raw, str | bytes) or not isinstance(raw, Iterable):
        return ()
    files: list[ContextFile] = []
    for item in raw:
        if isinstance(item, ContextFile):
            files.append(item)
        elif isinstance(item, Mapping):
            files.append(ContextFile(str(item.get("filename", "")), str(item.get("text", ""))))
        elif isinstance(item, Sequence) and len(item) == 2:
            files.append(ContextFile(str(item[0]), str(item[1])))
    return tuple(f for f in files if f.text)


def _with_newline(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"


@dataclass(frozen=True)
class FimTemplate:
    """A FIM prompt layout: `head`, the first part, `mid`, the second part, `tail`.

    In PSM order the first part is the prefix; in SPM order (Codestral, Seed-Coder) the suffix.
    The prefix slot holds cross-file context + `request.context` + the prefix.
    """

    family: str
    head: str
    mid: str
    tail: str
    stop: tuple[str, ...]
    order: Literal["psm", "spm"] = "psm"
    context_style: ContextStyle = "comment"
    repo_token: str = ""
    file_sep: str = ""
    repo_newline: bool = False
    source: str = field(default="", compare=False)

    @classmethod
    def from_pattern(
        cls, family: str, pattern: str, stop: Sequence[str], **kw: object
    ) -> FimTemplate:
        """Build a template from a readable pattern holding `{prefix}` and `{suffix}` once each."""
        m = re.fullmatch(r"(?s)(.*?)\{(prefix|suffix)\}(.*?)\{(prefix|suffix)\}(.*)", pattern)
        if m is None or m.group(2) == m.group(4):
            raise ValueError(f"FIM pattern needs {{prefix}} and {{suffix}}: {pattern!r}")
        order = "psm" if m.group(2) == "prefix" else "spm"
        return cls(family, m.group(1), m.group(3), m.group(5), tuple(stop), order, **kw)  # type: ignore[arg-type]

    def render(
        self,
        prefix: str,
        suffix: str,
        *,
        context: str = "",
        files: Sequence[ContextFile] = (),
        path: str | None = None,
        repo: str | None = None,
    ) -> str:
        """The full prompt text for a prefix/suffix pair plus optional cross-file context."""
        before = ""  # outside the FIM tokens (repository-level layouts)
        slot = ""  # inside the prefix slot, before the prefix
        if files and self.context_style == "repo":
            if repo and self.repo_token:
                before += self.repo_token + repo + ("\n" if self.repo_newline else "")
            for f in files:
                before += f"{self.file_sep}{f.filename}\n{_with_newline(f.text)}"
            before += f"{self.file_sep}{path or 'untitled'}\n"
        elif files and self.context_style == "path_header":
            for f in files:
                slot += f"#{f.filename}\n{_with_newline(f.text)}"
            if path:
                slot += f"#{path}\n"
        elif files:
            slot += "".join(_commented(f) for f in files)
        slot += _with_newline(context)
        first, second = (slot + prefix, suffix) if self.order == "psm" else (suffix, slot + prefix)
        return f"{before}{self.head}{first}{self.mid}{second}{self.tail}"


def _family(name: str, pattern: str, stop: Sequence[str], source: str, **kw: object) -> FimTemplate:
    return FimTemplate.from_pattern(name, pattern, stop, source=source, **kw)


# The templates. Token spellings are copied from each model's tokenizer / documentation.
FAMILIES: dict[str, FimTemplate] = {
    t.family: t
    for t in (
        # StarCoder / StarCoderBase / SantaCoder / StableCode: bigcode tokenizer special tokens
        # `<fim_prefix>`, `<fim_suffix>`, `<fim_middle>`, EOS `<|endoftext|>` (Bavarian et al.
        # PSM format, "StarCoder: may the source be with you!", section 5.1).
        _family(
            "starcoder",
            "<fim_prefix>{prefix}<fim_suffix>{suffix}<fim_middle>",
            ("<|endoftext|>", "<fim_prefix>", "<fim_suffix>", "<fim_middle>", "<file_sep>"),
            "bigcode/starcoder tokenizer_config.json additional_special_tokens",
        ),
        # StarCoder2: same FIM tokens; repository context as
        # `<repo_name>{repo}<file_sep>{path}\n{code}...` ("StarCoder 2 and The Stack v2", 5.1).
        _family(
            "starcoder2",
            "<fim_prefix>{prefix}<fim_suffix>{suffix}<fim_middle>",
            (
                "<|endoftext|>",
                "<fim_prefix>",
                "<fim_suffix>",
                "<fim_middle>",
                "<file_sep>",
                "<repo_name>",
            ),
            "bigcode/starcoder2 tokenizer; StarCoder2 paper, repository-context format",
            context_style="repo",
            repo_token="<repo_name>",
            file_sep="<file_sep>",
        ),
        # Code Llama: `<PRE> {pre} <SUF>{suf} <MID>`, end of infill `<EOT>` (facebookresearch/
        # codellama llama/generation.py infilling_prompt_tokens; the space after <PRE> is the
        # SentencePiece dummy prefix of the encoded prefix).
        _family(
            "codellama",
            "<PRE> {prefix} <SUF>{suffix} <MID>",
            ("<EOT>", "</s>", "<PRE>", "<SUF>", "<MID>"),
            "facebookresearch/codellama generation.py",
        ),
        # DeepSeek-Coder (v1, V2): `<｜fim▁begin｜>`, `<｜fim▁hole｜>`, `<｜fim▁end｜>`
        # with FULLWIDTH vertical bars (U+FF5C) and U+2581; EOS `<｜end▁of▁sentence｜>`,
        # instruct end `<|EOT|>`.
        # Repository-level context as `#path` headers (deepseek-ai/DeepSeek-Coder README).
        _family(
            "deepseek",
            "<｜fim▁begin｜>{prefix}<｜fim▁hole｜>{suffix}<｜fim▁end｜>",
            (
                "<｜end▁of▁sentence｜>",
                "<|EOT|>",
                "<｜fim▁begin｜>",
                "<｜fim▁hole｜>",
                "<｜fim▁end｜>",
            ),
            "deepseek-ai/DeepSeek-Coder README (code insertion, repository level)",
            context_style="path_header",
        ),
        # Qwen2.5-Coder (and Qwen3-Coder): `<|fim_prefix|>`, `<|fim_suffix|>`, `<|fim_middle|>`,
        # repository level `<|repo_name|>{repo}\n<|file_sep|>{path}\n{code}` then the FIM part
        # (Qwen2.5-Coder Technical Report, section 3 and README "repository-level code completion").
        _family(
            "qwen",
            "<|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>",
            (
                "<|endoftext|>",
                "<|fim_prefix|>",
                "<|fim_suffix|>",
                "<|fim_middle|>",
                "<|fim_pad|>",
                "<|repo_name|>",
                "<|file_sep|>",
                "<|im_start|>",
                "<|im_end|>",
            ),
            "QwenLM/Qwen2.5-Coder README and technical report",
            context_style="repo",
            repo_token="<|repo_name|>",
            file_sep="<|file_sep|>",
            repo_newline=True,
        ),
        # CodeGemma: `<|fim_prefix|>`, `<|fim_suffix|>`, `<|fim_middle|>`; the model ends a fill
        # with `<|file_separator|>` (Hugging Face CodeGemma blog "Prompt format").
        _family(
            "codegemma",
            "<|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>",
            (
                "<|file_separator|>",
                "<|fim_prefix|>",
                "<|fim_suffix|>",
                "<|fim_middle|>",
                "<eos>",
                "<end_of_turn>",
            ),
            "huggingface/blog codegemma.md, Prompt format",
        ),
        # Codestral: SPM `[SUFFIX]{suffix}[PREFIX] {prefix}` (mistral-common encode_fim; Ollama's
        # codestral template; the space is the SentencePiece dummy prefix of the encoded prefix).
        _family(
            "codestral",
            "[SUFFIX]{suffix}[PREFIX] {prefix}",
            ("</s>", "[PREFIX]", "[SUFFIX]", "[MIDDLE]"),
            "mistralai/mistral-common encode_fim; ollama.com/library/codestral template",
        ),
        # Seed-Coder: SPM `<[fim-suffix]>{suffix}<[fim-prefix]>{prefix}<[fim-middle]>`, EOS
        # `<[end▁of▁sentence]>` (Seed-Coder technical report, section 2.2 "Fill-in-the-Middle").
        _family(
            "seedcoder",
            "<[fim-suffix]>{suffix}<[fim-prefix]>{prefix}<[fim-middle]>",
            ("<[end▁of▁sentence]>", "<[fim-prefix]>", "<[fim-suffix]>", "<[fim-middle]>"),
            "ByteDance-Seed Seed-Coder technical report, 2.2",
        ),
    )
}

TEMPLATE_CHOICES: tuple[str, ...] = ("auto", "none", "custom", *FAMILIES)

# Detection order matters: the more specific names first.
_DETECT: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("seedcoder", re.compile(r"seed-?coder")),
    ("starcoder2", re.compile(r"starcoder-?2")),
    ("starcoder", re.compile(r"starcoder|santacoder|stable-?code")),
    ("codellama", re.compile(r"code-?llama")),
    ("deepseek", re.compile(r"deepseek.*coder")),
    ("qwen", re.compile(r"qwen[0-9.]*-?coder")),
    ("codegemma", re.compile(r"code-?gemma")),
    ("codestral", re.compile(r"codestral")),
)


def detect_family(model_name: str) -> str | None:
    """The FIM family named by a model id (`Qwen/Qwen2.5-Coder-7B`, `codellama:7b-code`, a GGUF
    file name ...), or None when the name says nothing we know."""
    name = re.sub(r"[\s_]+", "-", model_name.lower())
    for family, pattern in _DETECT:
        if pattern.search(name):
            return family
    return None


@dataclass(frozen=True)
class TemplateChoice:
    """The template a spec resolves to (None: send no FIM tokens) and a sentence saying why."""

    template: FimTemplate | None
    reason: str
    detected: bool = False


def resolve_template(spec: ModelSpec) -> TemplateChoice:
    """Which FIM template `spec` uses, following `spec.fim_template` (see `ModelSpec`)."""
    choice = spec.fim_template
    if choice == "none":
        return TemplateChoice(None, "fill-in-the-middle disabled (fim_template = none)")
    if choice == "custom":
        parts = (spec.fim_prefix, spec.fim_suffix, spec.fim_middle)
        if spec.fim_order == "spm":
            head, mid, tail = parts[1], parts[0], parts[2]
        else:
            head, mid, tail = parts
        stops = tuple(t for t in parts if t)
        tpl = FimTemplate("custom", head, mid, tail, stops, spec.fim_order)
        return TemplateChoice(tpl, "custom (from the configuration)")
    if choice != "auto":
        return TemplateChoice(FAMILIES[choice], f"{choice} (set in the configuration)")
    for source in (spec.model, spec.name):
        family = detect_family(source) if source else None
        if family:
            return TemplateChoice(
                FAMILIES[family], f"{family} (detected from model name {source!r})", True
            )
    named = spec.model or spec.name
    return TemplateChoice(None, f"no known model family in the name {named!r}")


def merge_stops(*groups: Iterable[str]) -> list[str]:
    """Stop strings from several sources, first occurrence kept, empty strings dropped."""
    seen: dict[str, None] = {}
    for group in groups:
        for s in group:
            if s:
                seen.setdefault(s, None)
    return list(seen)


def repo_name(request: CompletionRequest) -> str | None:
    """The repository name a request carries in `extra["repo_name"]`, if any."""
    value = request.extra.get(EXTRA_REPO_NAME)
    return value if isinstance(value, str) and value else None


def render_prompt(
    template: FimTemplate | None, parts: FittedParts, request: CompletionRequest
) -> str:
    """The prompt for fitted `parts`: the template's FIM layout, or without a template the
    context files (commented out, each after a `# Path:` line), the context, a `# Path:` line
    naming the request's file and the prefix, in that order: what changes least while the user
    types comes first, so a server's prompt cache keeps it. A raw prompt is the prefix alone."""
    if raw_prompt(request):
        return parts.prefix
    if template is not None:
        return template.render(
            parts.prefix,
            parts.suffix,
            context=parts.context,
            files=parts.files,
            path=request.path,
            repo=repo_name(request),
        )
    head = "".join(_commented(f) for f in parts.files)
    path = f"# Path: {request.path}\n" if request.path else ""
    return head + _with_newline(parts.context) + path + parts.prefix


def _commented(file: ContextFile) -> str:
    """A context file as comments under a `# Path:` line (the code around it stays valid)."""
    body = "".join(f"# {line}".rstrip() + "\n" for line in file.text.splitlines())
    return f"# Path: {file.filename}\n{body}"
