"""FIM templates: exact prompt strings and stop tokens per family, detection, custom, budgets."""

from __future__ import annotations

import pytest

from typehole.models.base import CompletionRequest
from typehole.models.errors import ModelConfigError
from typehole.models.fim import (
    FAMILIES,
    ContextFile,
    context_files,
    detect_family,
    merge_stops,
    render_prompt,
    resolve_template,
)
from typehole.models.registry import describe
from typehole.models.spec import ModelSpec
from typehole.models.window import estimate_tokens, fit_to_window

PRE = "def area(r):\n    return "
SUF = "\n\nprint(area(2))\n"
FILES = (ContextFile("geo/const.py", "PI = 3.14159\n"),)

# family -> (prompt without context, prompt with one context file, first stop tokens)
GOLDEN = {
    "starcoder": (
        "<fim_prefix>def area(r):\n    return <fim_suffix>\n\nprint(area(2))\n<fim_middle>",
        "<fim_prefix># Path: geo/const.py\n# PI = 3.14159\ndef area(r):\n    return "
        "<fim_suffix>\n\nprint(area(2))\n<fim_middle>",
        ("<|endoftext|>", "<fim_prefix>", "<fim_suffix>", "<fim_middle>"),
    ),
    "starcoder2": (
        "<fim_prefix>def area(r):\n    return <fim_suffix>\n\nprint(area(2))\n<fim_middle>",
        "<repo_name>shapes<file_sep>geo/const.py\nPI = 3.14159\n<file_sep>geo/area.py\n"
        "<fim_prefix>def area(r):\n    return <fim_suffix>\n\nprint(area(2))\n<fim_middle>",
        ("<|endoftext|>", "<fim_prefix>", "<fim_suffix>", "<fim_middle>", "<file_sep>"),
    ),
    "codellama": (
        "<PRE> def area(r):\n    return  <SUF>\n\nprint(area(2))\n <MID>",
        "<PRE> # Path: geo/const.py\n# PI = 3.14159\ndef area(r):\n    return  <SUF>"
        "\n\nprint(area(2))\n <MID>",
        ("<EOT>", "</s>"),
    ),
    "deepseek": (
        "<｜fim▁begin｜>def area(r):\n    return <｜fim▁hole｜>\n\nprint(area(2))\n<｜fim▁end｜>",
        "<｜fim▁begin｜>#geo/const.py\nPI = 3.14159\n#geo/area.py\ndef area(r):\n    return "
        "<｜fim▁hole｜>\n\nprint(area(2))\n<｜fim▁end｜>",
        ("<｜end▁of▁sentence｜>", "<|EOT|>"),
    ),
    "qwen": (
        "<|fim_prefix|>def area(r):\n    return <|fim_suffix|>\n\nprint(area(2))\n<|fim_middle|>",
        "<|repo_name|>shapes\n<|file_sep|>geo/const.py\nPI = 3.14159\n<|file_sep|>geo/area.py\n"
        "<|fim_prefix|>def area(r):\n    return <|fim_suffix|>\n\nprint(area(2))\n<|fim_middle|>",
        (
            "<|endoftext|>",
            "<|fim_prefix|>",
            "<|fim_suffix|>",
            "<|fim_middle|>",
            "<|fim_pad|>",
            "<|repo_name|>",
            "<|file_sep|>",
        ),
    ),
    "codegemma": (
        "<|fim_prefix|>def area(r):\n    return <|fim_suffix|>\n\nprint(area(2))\n<|fim_middle|>",
        "<|fim_prefix|># Path: geo/const.py\n# PI = 3.14159\ndef area(r):\n    return "
        "<|fim_suffix|>\n\nprint(area(2))\n<|fim_middle|>",
        ("<|file_separator|>",),
    ),
    "codestral": (
        "[SUFFIX]\n\nprint(area(2))\n[PREFIX] def area(r):\n    return ",
        "[SUFFIX]\n\nprint(area(2))\n[PREFIX] # Path: geo/const.py\n# PI = 3.14159\n"
        "def area(r):\n    return ",
        ("</s>", "[PREFIX]", "[SUFFIX]"),
    ),
    "seedcoder": (
        "<[fim-suffix]>\n\nprint(area(2))\n<[fim-prefix]>def area(r):\n    return <[fim-middle]>",
        "<[fim-suffix]>\n\nprint(area(2))\n<[fim-prefix]># Path: geo/const.py\n# PI = 3.14159\n"
        "def area(r):\n    return <[fim-middle]>",
        ("<[end▁of▁sentence]>", "<[fim-prefix]>", "<[fim-suffix]>", "<[fim-middle]>"),
    ),
}


def test_every_family_has_a_golden_case() -> None:
    assert set(GOLDEN) == set(FAMILIES)


@pytest.mark.parametrize("family", sorted(GOLDEN))
def test_prompt_and_stops(family: str) -> None:
    plain, with_files, stops = GOLDEN[family]
    tpl = FAMILIES[family]
    assert tpl.render(PRE, SUF) == plain
    assert tpl.render(PRE, SUF, files=FILES, path="geo/area.py", repo="shapes") == with_files
    assert tpl.stop[: len(stops)] == stops


@pytest.mark.parametrize("family", sorted(GOLDEN))
def test_context_text_goes_verbatim_before_the_prefix(family: str) -> None:
    tpl = FAMILIES[family]
    prompt = tpl.render(PRE, SUF, context="from geo.const import PI")
    assert "from geo.const import PI\n" + PRE in prompt


def test_deepseek_tokens_use_fullwidth_bars() -> None:
    head = FAMILIES["deepseek"].head
    assert "\uff5c" in head and "\u2581" in head and "|" not in head


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("Qwen/Qwen2.5-Coder-7B", "qwen"),
        ("qwen2.5-coder:1.5b-base", "qwen"),
        ("Qwen3-Coder-30B-A3B", "qwen"),
        ("bigcode/starcoder2-15b", "starcoder2"),
        ("starcoder2:3b", "starcoder2"),
        ("bigcode/starcoderbase-1b", "starcoder"),
        ("codellama:7b-code", "codellama"),
        ("CodeLlama-13b-hf", "codellama"),
        ("deepseek-ai/deepseek-coder-6.7b-base", "deepseek"),
        ("deepseek-coder-v2:16b-lite-base-q4_0", "deepseek"),
        ("google/codegemma-2b", "codegemma"),
        ("codestral:22b", "codestral"),
        ("mistralai/Codestral-22B-v0.1", "codestral"),
        ("ByteDance-Seed/Seed-Coder-8B-Base", "seedcoder"),
        ("seed_coder-8b-base-q8_0.gguf", "seedcoder"),
        ("gpt-3.5-turbo-instruct", None),
        ("llama3.1:8b", None),
    ],
)
def test_detect_family(name: str, family: str | None) -> None:
    assert detect_family(name) == family


def test_resolve_and_describe_say_why() -> None:
    spec = ModelSpec("q", "vllm", "http://127.0.0.1:8000/v1", model="Qwen/Qwen2.5-Coder-1.5B")
    choice = resolve_template(spec)
    assert choice.template is FAMILIES["qwen"] and choice.detected
    assert "detected from model name 'Qwen/Qwen2.5-Coder-1.5B'" in describe(spec)
    forced = ModelSpec("q", "ollama", "http://h", model="my-finetune", fim_template="codestral")
    assert resolve_template(forced).template is FAMILIES["codestral"]
    assert "set in the configuration" in describe(forced)
    unknown = ModelSpec("x", "openai", "http://h/v1", model="gpt-3.5-turbo-instruct")
    assert resolve_template(unknown).template is None
    assert "suffix" in describe(unknown)


def test_custom_template_psm_and_spm() -> None:
    psm = ModelSpec(
        "c",
        "llamacpp",
        "http://h",
        fim_template="custom",
        fim_prefix="<P>",
        fim_suffix="<S>",
        fim_middle="<M>",
    )
    tpl = resolve_template(psm).template
    assert tpl is not None
    assert tpl.render("a", "b") == "<P>a<S>b<M>"
    assert tpl.stop == ("<P>", "<S>", "<M>")
    spm = ModelSpec(
        "c",
        "llamacpp",
        "http://h",
        fim_template="custom",
        fim_prefix="<P>",
        fim_suffix="<S>",
        fim_middle="<M>",
        fim_order="spm",
    )
    tpl = resolve_template(spm).template
    assert tpl is not None and tpl.render("a", "b") == "<S>b<P>a<M>"


def test_bad_specs_are_config_errors() -> None:
    with pytest.raises(ModelConfigError, match="fim_template"):
        ModelSpec("c", "llamacpp", "http://h", fim_template="qwen25")
    with pytest.raises(ModelConfigError, match="custom"):
        ModelSpec("c", "llamacpp", "http://h", fim_template="custom", fim_prefix="<P>")
    with pytest.raises(ModelConfigError, match="backend"):
        ModelSpec("c", "tgi", "http://h")  # type: ignore[arg-type]
    with pytest.raises(ModelConfigError, match="url"):
        ModelSpec("c", "ollama", "localhost:11434")


def test_context_files_from_extra() -> None:
    req = CompletionRequest(
        "x",
        extra={
            "context_files": [
                ("a.py", "A = 1"),
                {"filename": "b.py", "text": "B"},
                ContextFile("c.py", "C"),
                ("empty.py", ""),
            ]
        },
    )
    assert [f.filename for f in context_files(req)] == ["a.py", "b.py", "c.py"]
    assert context_files(CompletionRequest("x")) == ()


def test_merge_stops_keeps_order_and_drops_duplicates() -> None:
    assert merge_stops(["a", "b"], ["b", "", "c"]) == ["a", "b", "c"]


def test_fit_to_window_keeps_text_near_the_cursor() -> None:
    prefix = "".join(f"line_{i} = {i}\n" for i in range(400))
    suffix = "".join(f"after_{i}()\n" for i in range(400))
    files = (ContextFile("a.py", "A = 1\n" * 50), ContextFile("b.py", "B = 2\n" * 50))
    fitted = fit_to_window(prefix, suffix, "CTX = 0\n" * 100, files, 1000, 20)
    total = (
        estimate_tokens(fitted.prefix)
        + estimate_tokens(fitted.suffix)
        + estimate_tokens(fitted.context)
        + sum(estimate_tokens(f.text) + estimate_tokens(f.filename) + 4 for f in fitted.files)
    )
    assert total + 20 <= 1000
    assert fitted.files == () and fitted.context == ""
    assert prefix.endswith(fitted.prefix) and fitted.prefix.startswith("line_")
    assert suffix.startswith(fitted.suffix) and fitted.suffix.endswith("\n")
    small = fit_to_window("a", "b", "c", files, 1000)
    assert (small.prefix, small.suffix, small.context, small.files) == ("a", "b", "c", files)


def test_prefix_only_prompt_puts_context_then_the_path_then_the_code() -> None:
    request = CompletionRequest(PRE, SUF, context="# Expected type: float\n", path="geo/area.py")
    parts = fit_to_window(PRE, SUF, request.context, FILES, 1000, 0)
    assert render_prompt(None, parts, request) == (
        "# Path: geo/const.py\n# PI = 3.14159\n# Expected type: float\n# Path: geo/area.py\n" + PRE
    )
    bare = CompletionRequest(PRE)
    assert render_prompt(None, fit_to_window(PRE, "", "", (), 1000, 0), bare) == PRE
