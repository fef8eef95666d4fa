"""Follow-on edits a type checker would demand: the import new code needs, the attribute it reads.

Two engines, each deterministic and silent when unsure:

- **import**: a name the edit newly reads that nothing in the file binds, and that exactly one
  place can provide: a module-level definition elsewhere in the workspace (through `Lookup`,
  e.g. the workspace index) or a small fixed table of the standard library (`Path` -> pathlib,
  `json.dumps` -> `import json`). The import goes where isort/ruff would put it: joined to an
  existing `from M import ...` of the same module in name order, else as a new line in its
  section (future, stdlib, third-party, first-party, local), sorted by module.
- **attribute**: a method newly reads `self.x`, the class never assigns `x`, and `__init__` takes
  a parameter named `x` that it does not store: `self.x = x` at the end of `__init__`. That is
  the only case where the value is known; any other unassigned attribute is left alone (the
  class may inherit it, or its value is the user's to choose).

"Newly" means the demand is present after the edit and was not before it, so an old problem in
the file is never re-offered on every keystroke. Names are bound or read as parso sees them
(scope-blind: a name bound anywhere in the file counts as bound, which errs towards silence).
"""

from __future__ import annotations

from .attributes import store_attribute
from .broken import holds as still_broken
from .consistency import still_undefined
from .imports import STDLIB_MODULES, STDLIB_NAMES, import_suggestions
from .name_facts import NameFacts, is_read
from .pending import still_pending
from .records import Event, Suggestion
from .stubs import defines
from .workspace_lookup import IndexLookup, Lookup

__all__ = [
    "STDLIB_MODULES", "STDLIB_NAMES", "IndexLookup", "Lookup", "followon_suggestions", "holds",
]


def followon_suggestions(event: Event, lookup: Lookup | None = None) -> list[Suggestion]:
    """The imports and attribute assignments that `event` newly made necessary.

    The edit itself must have typed the demanding code (the name read, `self.x`, or the
    parameter `x`): a demand that appears because the edit *deleted* an import or an
    assignment is the user's to resolve, never an invitation to put it back.
    """
    after = NameFacts.of(event.after)
    if after is None:
        return []
    before = NameFacts.of(event.before)
    span = (event.change.start, event.change.inserted_end)
    old_reads = before.unbound_reads() if before is not None else set()
    new_reads = {n for n in after.unbound_reads() - old_reads
                 if after.typed(event.after, n, span, is_read)}
    out = import_suggestions(event.after, after, new_reads, lookup)
    old_pairs = set(before.unassigned_attributes()) if before is not None else set()
    for (cls, attr), (init, self_name) in after.unassigned_attributes().items():
        if (cls, attr) in old_pairs or not after.typed(
                event.after, attr, span, lambda leaf: leaf.parent.type in ("trailer", "param")):
            continue
        s = store_attribute(event.after, cls, attr, init, self_name)
        if s is not None:
            out.append(s)
    return out


def holds(text: str, s: Suggestion) -> bool:
    """Whether a follow-on suggestion made earlier is still demanded by `text`.

    An import stops being needed when its names are no longer read or got bound some other way
    (the user typed the import, or was typing a longer name); an attribute assignment when the
    class assigns it or no longer reads it; a site of a name the edit left undefined when the
    name is defined again (or the text no longer parses); a stub when the file defines the name
    (wherever it was written); a syntax error's line when the text parses again or fails
    elsewhere; a pending name's use when the name is used. Other suggestions always hold here.
    """
    kind, _, what = s.group.partition(":")
    if kind == "undefined":
        return still_undefined(text, what)
    if kind == "stub":
        return not defines(text, what)
    if kind == "syntax":
        return still_broken(text, s)
    if kind == "pending":
        return still_pending(text, s)
    if kind not in ("import", "attribute"):
        return True
    facts = NameFacts.of(text)
    if facts is None:
        return False
    if kind == "import":
        return set(what.split(",")) <= facts.unbound_reads()
    cls, _, attr = what.partition(".")
    return (cls, attr) in facts.unassigned_attributes()
