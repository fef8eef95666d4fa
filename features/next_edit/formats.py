"""The prompt formats of open next-edit models, as data for the one model step (`zeta.py`).

Each format says how the recent edits, the file around the cursor and the editable region are
laid out, which marker shows the cursor, and how the model's answer holds the rewritten region:

- `zeta`: Zed's first Zeta (an instruction, `### User Edits:` with unified diffs, `### User
  Excerpt:` with `<|editable_region_start|>`/`<|editable_region_end|>` around the region; the
  answer repeats the markers around the rewritten region). The instruction also makes it the
  one a general instruction-following model can follow.
- `zeta2`: Zed's Zeta 2 (`zeta_prompt.rs`, the ordered layout): `<|file_sep|>edit history` with
  `--- a/path`/`+++ b/path` diffs, then `<|fim_prefix|>` text before the region,
  `<|fim_middle|>current` the region with `<|user_cursor|>`, `<|fim_suffix|>` text after it and
  `<|fim_middle|>updated`; the answer is the rewritten region, up to a control token.
- `sweep`: Sweep's next-edit model (Qwen2.5-Coder's `<|file_sep|>` files): the file around the
  cursor, each recent edit as `<|file_sep|>path.diff` with `original:`/`updated:` blocks, then
  the 21-line window as it was before the last edit (`original/path`), as it is
  (`current/path`), and `updated/path`, after which the model writes the rewritten window.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["FORMATS", "SWEEP", "ZETA", "ZETA2", "EditFormat", "FormatName"]

FormatName = Literal["zeta", "zeta2", "sweep"]


@dataclass(frozen=True)
class EditFormat:
    """One prompt format. Templates are `str.format` strings over the fields named beside them.

    The prompt is `header`, `file_block` (when set), the edits (each `edit`, under
    `edits_header` when there is one) and `excerpt`. `region` is how the editable region is
    chosen: the largest syntax node around the cursor under a budget ("syntax"), or a fixed
    window of lines around it ("lines", `window` lines above and below).
    """

    name: FormatName
    header: str
    edits_header: str
    # {path}, {diff} (a unified diff with its `---`/`+++` header), {hunks} (its hunks alone),
    # {old}, {new} (the changed lines before and after)
    edit: str
    # {path}, {first} (start-of-file marker where the excerpt starts the file), {head} (lines
    # before the region), {region} (with the cursor marker), {original} (the region before the
    # last edit), {tail} (the text after the region from its newline on, ending with one)
    excerpt: str
    cursor: str  # the cursor marker in the region, "" for none
    # The answer holds the region between these markers ("" when the whole answer is the region)
    answer_start: str
    answer_end: str
    stop: tuple[str, ...]
    region: Literal["syntax", "lines"] = "syntax"
    window: int = 10
    # {path}, {text}: the file around the cursor, shown before the edits ("" for none)
    file_block: str = ""
    start_of_file: str = ""
    # Strings that only the format may write: text holding one cannot be shown to the model.
    control: tuple[str, ...] = ()


ZETA = EditFormat(
    name="zeta",
    header=("### Instruction:\nYou are a code completion assistant and your task is to analyze "
            "user edits and then rewrite an excerpt that the user provides, suggesting the "
            "appropriate edits within the excerpt, taking into account the cursor location.\n\n"
            "### User Edits:\n\n"),
    edits_header="",
    edit="User edited {path!r}:\n```diff\n{diff}```\n\n",
    excerpt=("### User Excerpt:\n\n```{path}\n{first}{head}<|editable_region_start|>\n{region}\n"
             "<|editable_region_end|>{tail}```\n\n### Response:\n"),
    cursor="<|user_cursor_is_here|>",
    answer_start="<|editable_region_start|>",
    answer_end="<|editable_region_end|>",
    stop=("<|editable_region_end|>\n",),
    start_of_file="<|start_of_file|>\n",
    control=("<|editable_region_start|>", "<|editable_region_end|>", "<|user_cursor_is_here|>"),
)

_QWEN_CONTROL = ("<|file_sep|>", "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>",
                 "<|fim_pad|>", "<|repo_name|>", "<|endoftext|>", "<|im_start|>", "<|im_end|>")

ZETA2 = EditFormat(
    name="zeta2",
    header="",
    edits_header="<|file_sep|>edit history\n",
    edit="--- a/{path}\n+++ b/{path}\n{hunks}",
    excerpt=("<|file_sep|>{path}\n<|fim_prefix|>\n{head}<|fim_middle|>current\n{region}\n"
             "<|fim_suffix|>{tail}<|fim_middle|>updated\n"),
    cursor="<|user_cursor|>",
    answer_start="",
    answer_end="",
    stop=_QWEN_CONTROL,
    control=(*_QWEN_CONTROL, "<|user_cursor|>"),
)

SWEEP = EditFormat(
    name="sweep",
    header="",
    edits_header="",
    edit="<|file_sep|>{path}.diff\noriginal:\n{old}\nupdated:\n{new}\n",
    excerpt=("<|file_sep|>original/{path}\n{original}\n<|file_sep|>current/{path}\n{region}\n"
             "<|file_sep|>updated/{path}\n"),
    cursor="",
    answer_start="",
    answer_end="",
    stop=_QWEN_CONTROL,
    region="lines",
    window=10,
    file_block="<|file_sep|>{path}\n{text}\n",
    control=_QWEN_CONTROL,
)

FORMATS: dict[str, EditFormat] = {f.name: f for f in (ZETA, ZETA2, SWEEP)}
