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
    blocks = []
    for t in types:
        where = f"{t.type.path}:{t.type.line}"
        compact = _compact(t.type.text)
        fallback = (Block(render_comment(where, compact), t.score, replace(t.type, text=compact))
                    if compact is not None else None)
        blocks.append(Block(render_comment(where, t.type.text), t.score, t.type, fallback))
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
    compact = _compact(s.text) if s.source == "rationale" else None
    if compact is not None:
        fallback = Block(render_comment(where, compact), s.score, replace(s, text=compact))
    return Block(render_comment(where, s.text), s.score, s, fallback)


def _compact(stub: str) -> str | None:
    """A class stub's header and docstring line (None: no class, or nothing to leave out): a
    large class may not fit, and these still name the type."""
    if not stub.startswith("class ") or "\n    " not in stub:
        return None
    head = [line for line in stub.splitlines()[:2]
            if line.startswith("class ") or line.lstrip().startswith('"""')]
    compact = "\n".join([*head, "    ..."])
    return compact if len(compact) < len(stub) else None


# Of the budget: the most one block takes while others wait. A larger one goes in compact
# (`Block.fallback`) and is put back whole at the end if the room is left: on rich, whole class
# stubs of 400-800 tokens (the types of the names in scope) left out the definitions of the
# imported names the next line used.
LARGE_SHARE = 0.25


def assemble(preamble: str, blocks: Sequence[Block], budget_tokens: int,
             count_tokens: CountTokens) -> tuple[str, int, list[Block]]:
    """(prompt, its token count, the chosen blocks). `prompt` never exceeds `budget_tokens`.

    Blocks are taken best first; one over `LARGE_SHARE` of the budget that has a compact form
    is taken compact, and made whole again, best first, once every block has had its turn."""
    if budget_tokens <= 0:
        return "", 0, []
    ranked = sorted(blocks, key=lambda b: -b.score)
    seen: set[str] = set()
    chosen: list[Block] = []
    large: list[tuple[int, Block, Block]] = []  # (where in `chosen`, whole, compact)
    used = count_tokens(preamble) if preamble else 0
    if used > budget_tokens:
        preamble, used = "", 0
    for candidate in ranked:
        block: Block | None = candidate
        while block is not None:
            if block.text in seen:
                break
            cost = count_tokens(block.text)
            if block.fallback is not None and cost > budget_tokens * LARGE_SHARE:
                large.append((len(chosen), block, block.fallback))
                block = block.fallback
                continue
            if used + cost <= budget_tokens:
                chosen.append(block)
                seen.add(block.text)
                used += cost
                break
            block = block.fallback
    for at, whole, compact in large:
        if at >= len(chosen) or chosen[at] is not compact:
            continue  # its compact form did not fit either
        extra = count_tokens(whole.text) - count_tokens(chosen[at].text)
        if whole.text not in seen and used + extra <= budget_tokens:
            seen.add(whole.text)
            chosen[at] = whole
            used += extra
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
