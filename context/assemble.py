"""Rank everything gathered on one scale and pack the best into a hard token budget.

Blocks are chosen greedily by score (rank-truncated, as RepoFuse does) and rendered as comments
with file paths, so the prompt is valid in front of any Python prefix; continuations (the same
lines elsewhere and what followed them) are real code under a `# Path:` line. The best block is
rendered last, nearest the code, followed by the expected type. The budget is a cap, checked on
the final text with the caller's counter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from .records import Hole, RelevantHeader, Snippet
from .relevant import ScoredType

__all__ = ["Block", "assemble", "blocks_for", "render_code", "render_comment"]

CountTokens = Callable[[str], int]


@dataclass(frozen=True)
class Block:
    """One unit of context: a rendered comment block, its score, and what it came from."""

    text: str
    score: float
    item: object
    fallback: Block | None = None  # a compact version, tried when the full one does not fit


def render_comment(header: str, body: str) -> str:
    """`# header` then every body line commented out; ends with a newline."""
    lines = [f"# {header}"] + [f"# {line}" if line else "#" for line in body.splitlines()]
    return "\n".join(lines) + "\n"


def render_code(path: str, body: str) -> str:
    """`# Path: path`, the body as code, and a blank line; ends with a newline."""
    return f"# Path: {path}\n{body.rstrip()}\n\n"


def blocks_for(hole: Hole, types: Sequence[ScoredType], headers: Sequence[RelevantHeader],
               snippets: Sequence[Snippet]) -> tuple[str, list[Block]]:
    """The fixed preamble (the expected type) and the scored blocks of every channel."""
    preamble = ""
    if hole.expected_type:
        preamble = f"# Expected type at the cursor: {hole.expected_type}\n"
    blocks = [Block(render_comment(f"{t.type.path}:{t.type.line}", t.type.text), t.score, t.type)
              for t in types]
    blocks += [Block(render_comment(f"{h.path}:{h.line} returns the expected type", h.signature),
                     h.score, h) for h in headers]
    for s in snippets:
        blocks.append(_snippet_block(s))
    return preamble, blocks


def _snippet_block(s: Snippet) -> Block:
    if s.source == "continuation":
        # Real code, as a repository's files follow one another in a code model's training
        # data: the model is to go on as that code went on, so it sees those lines as it sees
        # its own.
        return Block(render_code(s.path, s.text), s.score, s)
    where = f"{s.path}:{s.start_line}" if s.source == "rationale" else \
        f"Similar code in {s.path}:{s.start_line}-{s.end_line}"
    fallback = None
    if s.source == "rationale" and s.text.startswith("class ") and "\n    def " in s.text:
        # A large class may not fit: its header and docstring line still name the type.
        head = [line for line in s.text.splitlines()[:2]
                if line.startswith("class ") or line.lstrip().startswith('"""')]
        compact = replace(s, text="\n".join([*head, "    ..."]))
        fallback = Block(render_comment(where, compact.text), s.score, compact)
    return Block(render_comment(where, s.text), s.score, s, fallback)


def assemble(preamble: str, blocks: Sequence[Block], budget_tokens: int,
             count_tokens: CountTokens) -> tuple[str, int, list[Block]]:
    """(prompt, its token count, the chosen blocks). `prompt` never exceeds `budget_tokens`."""
    if budget_tokens <= 0:
        return "", 0, []
    ranked = sorted(blocks, key=lambda b: -b.score)
    seen: set[str] = set()
    chosen: list[Block] = []
    used = count_tokens(preamble) if preamble else 0
    if used > budget_tokens:
        preamble, used = "", 0
    for candidate in ranked:
        block: Block | None = candidate
        while block is not None:
            if block.text in seen:
                break
            cost = count_tokens(block.text)
            if used + cost <= budget_tokens:
                chosen.append(block)
                seen.add(block.text)
                used += cost
                break
            block = block.fallback
    while True:
        prompt = _render(preamble, chosen)
        tokens = count_tokens(prompt) if prompt else 0
        # Tokenizers are not additive across block boundaries: verify, drop the worst if over.
        if tokens <= budget_tokens:
            return prompt, tokens, chosen
        if chosen:
            chosen.pop()
        elif preamble:
            preamble = ""
        else:
            return "", 0, []


def _render(preamble: str, chosen: Sequence[Block]) -> str:
    # Lowest score first: the strongest context, then the expected type, sit right before the code.
    return "".join(b.text for b in reversed(chosen)) + preamble
