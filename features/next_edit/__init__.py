"""Next-edit suggestions from edit history: static propagation engines, a Zeta-style model step.

`EditHistory` turns document states into user-level edits; `prepare(text)` analyses a text
ahead of the edit that will make it a `before`; `static_suggestions(text, events)`
runs the rename, signature, follow-on (import, attribute), repeated-edit, consistency
(what the edit left undefined or unused, as pyflakes sees it before and after), definition
(a call given an argument its function lacks) and leftover engines (what the edit left half
done: `twins` (blocks and single lines), `moved`, `arguments`, `spelled`, `registry`,
`extracted`; what code written top-down implies: `stubs`, `parameters` (docstring entries and
unread stores); where the edit broke the syntax: `broken`; what the edit left pending, a new
local, helper or module-level name not used yet: `pending`; the checks a narrowed annotation left
dead: `narrowed`; a docstring or comment reworded where the file says the same: `prose`, and
its sibling passage that read the same but for one word: `passages`; the old copy of a line the
edit wrote, and the copy of a line it rewrote, just below: `copies`) and
ranks what they find (the engines share one `ast` parse per text, `pyast`);
`WorkspaceHistory` keeps saved changes across files, whose signature changes reach other
files' call sites (`caller_suggestions`) and whose diffs the model sees;
`model_suggestions` asks a code model for what static analysis cannot see, in the prompt format
of an open next-edit model (`FORMATS`: Zed's Zeta and Zeta 2, Sweep's).
Nothing here knows LSP.
"""

from .analysis import prepare
from .callfit import definition_suggestions
from .consistency import consistency_suggestions
from .followon import IndexLookup, Lookup, followon_suggestions, holds
from .formats import FORMATS, EditFormat
from .history import EditHistory, FileEdit, WorkspaceHistory, events_between
from .model import model_suggestions
from .rank import WEIGHTS, Weights, rank, rebase
from .records import Change, Event, Suggestion, apply, minimal_change
from .rename import rename_suggestions
from .repeat import repeat_suggestions
from .signature import caller_suggestions, signature_suggestions
from .suggest import static_suggestions
from .zeta import build_prompt, parse_back

__all__ = [
    "FORMATS", "WEIGHTS", "Change", "EditFormat", "EditHistory", "Event", "FileEdit",
    "IndexLookup", "Lookup", "Suggestion",
    "Weights", "WorkspaceHistory", "apply", "build_prompt", "caller_suggestions",
    "consistency_suggestions", "definition_suggestions", "events_between",
    "followon_suggestions", "holds", "minimal_change", "model_suggestions", "parse_back",
    "prepare",
    "rank", "rebase", "rename_suggestions", "repeat_suggestions", "signature_suggestions",
    "static_suggestions",
]
