"""Doc comments from analysis: skeletons, styles, drift detection and in-place updates.

`docstring_edit(text, line, style)` is the one call most callers need; the server and the CLI
add prose (`write_prose`) when a code model is configured. Other languages (JSDoc/TSDoc,
Javadoc, Rust `///`) get skeletons from `comment_edit`. Nothing here knows about LSP.
"""

from .analyze import all_targets, facts_of, find_target
from .comments import COMMENT_LANGUAGES, comment_edit, comment_language
from .drift import Drift, find_drift, read_existing
from .edit import DEFAULT_STYLE, all_drift, docstring_edit, drift_at, existing_style
from .project import detect_project_style, style_of_texts
from .prose import clean_sentences, known_names, write_prose
from .records import STYLES, Attribute, DocEdit, Facts, Literal, Param, Target
from .render import Prose, render
from .sections import detect_style

__all__ = [
    "COMMENT_LANGUAGES", "DEFAULT_STYLE", "STYLES", "comment_edit", "comment_language",
    "Attribute", "DocEdit", "Drift", "Facts", "Literal", "Param",
    "Prose", "Target", "all_drift", "all_targets", "clean_sentences", "detect_project_style",
    "detect_style", "docstring_edit", "drift_at", "existing_style", "facts_of", "find_drift",
    "find_target", "known_names", "read_existing", "render", "style_of_texts", "write_prose",
]
