"""Render and update doc-comment skeletons: JSDoc/TSDoc, Javadoc and Rust `///` sections.

Placeholders mark every piece of prose (nothing is invented); tags come from the signature.
JSDoc: `@param {type} name - ...`, `@returns {type} ...`, `@throws {Error} ...`; Javadoc:
`@param`, `@return`, `@throws` from the `throws` clause; Rust: `# Arguments`, `# Returns`,
`# Errors` for a `Result`, `# Panics` when the body can panic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .records import Param
from .render import PLACEHOLDER, SUMMARY_PLACEHOLDER

__all__ = ["CommentFacts", "render_comment", "update_comment"]


@dataclass(frozen=True)
class CommentFacts:
    """What a doc comment must say about a function or type, read from its signature."""

    kind: str  # function | constructor | type
    name: str
    params: tuple[Param, ...] = ()
    returns: str | None = None  # None: nothing returned; "" returned without a declared type
    throws: tuple[str, ...] = ()
    type_params: tuple[str, ...] = ()
    is_async: bool = False
    is_generator: bool = False
    panics: bool = False


def _jsdoc_type(annotation: str) -> str:
    return re.sub(r"\s+", " ", annotation).strip() or "*"


def _jsdoc_name(param: Param) -> str:
    if param.kind == "var_positional":
        return param.name
    if param.default is not None:
        return f"[{param.name}]" if param.default == "undefined" \
            else f"[{param.name}={param.default}]"
    return param.name


def _literal_type(default: str | None) -> str:
    if default is None:
        return ""
    if re.fullmatch(r"-?[\d_.]+(e\d+)?n?", default):
        return "number"
    if default[:1] in "'\"`" and default:
        return "string"
    return "boolean" if default in ("true", "false") else ""


def _jsdoc_param(param: Param) -> str:
    kind = _jsdoc_type(param.annotation or _literal_type(param.default))
    if param.kind == "var_positional":
        kind = "..." + (kind.removesuffix("[]") if kind != "*" else kind)
    return f"@param {{{kind}}} {_jsdoc_name(param)} - {PLACEHOLDER}"


def _jsdoc_tags(facts: CommentFacts) -> list[str]:
    tags = [f"@template {t}" for t in facts.type_params]
    tags += [_jsdoc_param(p) for p in facts.params]
    if facts.kind == "function" and facts.returns is not None:
        kind = facts.returns or ("Promise<*>" if facts.is_async else "*")
        tags.append(f"@{'yields' if facts.is_generator else 'returns'} "
                    f"{{{_jsdoc_type(kind)}}} {PLACEHOLDER}")
    tags += [f"@throws {{{t}}} {PLACEHOLDER}" for t in facts.throws]
    return tags


def _javadoc_tags(facts: CommentFacts) -> list[str]:
    tags = [f"@param <{t}> {PLACEHOLDER}" for t in facts.type_params]
    tags += [f"@param {p.name} {PLACEHOLDER}" for p in facts.params]
    if facts.kind == "function" and facts.returns is not None:
        tags.append(f"@return {PLACEHOLDER}")
    tags += [f"@throws {t} {PLACEHOLDER}" for t in facts.throws]
    return tags


def _rust_sections(facts: CommentFacts) -> list[list[str]]:
    sections = []
    if facts.params:
        sections.append(["# Arguments", ""] + [f"* `{p.name}` - {PLACEHOLDER}"
                                               for p in facts.params])
    if facts.kind == "function" and facts.returns:
        sections.append(["# Returns", "", PLACEHOLDER])
        if re.match(r"(\w+::)*(Result|io::Result)\b", facts.returns):
            sections.append(["# Errors", "", f"TODO: describe when `{facts.name}` "
                             "returns an error."])
    if facts.panics:
        sections.append(["# Panics", "", f"TODO: describe when `{facts.name}` panics."])
    return sections


def _block(lines: list[str], indent: str, newline: str) -> str:
    body = [f"{indent} *{' ' + line if line else ''}" for line in lines]
    return newline.join([f"{indent}/**", *body, f"{indent} */"])


def render_comment(facts: CommentFacts, family: str, indent: str, newline: str = "\n") -> str:
    """The whole doc comment for `facts`, each line indented by `indent`, no final newline."""
    if family == "rustdoc":
        lines = [SUMMARY_PLACEHOLDER]
        for section in _rust_sections(facts):
            lines += ["", *section]
        return newline.join(f"{indent}///{' ' + line if line else ''}" for line in lines)
    tags = _jsdoc_tags(facts) if family == "jsdoc" else _javadoc_tags(facts)
    return _block([SUMMARY_PLACEHOLDER, *([""] + tags if tags else [])], indent, newline)


_TAG_NAME = re.compile(r"@param\s+(?:\{[^}]*\}\s*)?\[?(<?[\w$.]+>?)")
_RUST_ARG = re.compile(r"^\s*///\s*[*-]\s*`([^`]+)`")


def update_comment(old: str, facts: CommentFacts, family: str, indent: str,
                   newline: str = "\n") -> str | None:
    """`old` with tags for the parameters it does not document yet; None when none are missing.

    Every existing line is kept as written; new tags go after the last `@param` (or before the
    first other tag, or before the closing `*/`); Rust arguments join `# Arguments`.
    """
    lines = old.split(newline) if newline in old else old.split("\n")
    if family == "rustdoc":
        documented = {m.group(1) for line in lines if (m := _RUST_ARG.match(line))}
        undocumented = [p for p in facts.params if p.name not in documented]
        if not undocumented:
            return None
        new = [f"{indent}/// * `{p.name}` - {PLACEHOLDER}" for p in undocumented]
        heading = next((i for i, line in enumerate(lines)
                        if line.strip().removeprefix("///").strip() == "# Arguments"), None)
        if heading is None:
            return newline.join([*lines, f"{indent}///", f"{indent}/// # Arguments",
                                 f"{indent}///", *new])
        at = heading + 1
        while at < len(lines) and (_RUST_ARG.match(lines[at]) or
                                   lines[at].strip() == "///" and at == heading + 1):
            at += 1
        return newline.join([*lines[:at], *new, *lines[at:]])
    if len(lines) == 1:  # `/** One line. */`: open it up first
        text = lines[0].strip().removeprefix("/**").removesuffix("*/").strip()
        lines = [f"{indent}/**", f"{indent} * {text}", f"{indent} */"]
    documented = {m.group(1).strip("<>") for line in lines if (m := _TAG_NAME.search(line))}
    wanted = [(p.name, tag) for p, tag in zip(facts.params, _param_tags(facts, family),
                                              strict=True)]
    missing = [tag for name, tag in wanted if name not in documented]
    if not missing:
        return None
    params = [i for i, line in enumerate(lines) if "@param" in line]
    tags = [i for i, line in enumerate(lines) if line.lstrip(" \t*").startswith("@")]
    at = params[-1] + 1 if params else tags[0] if tags else len(lines) - 1
    while params and at < len(lines) - 1 and not lines[at].lstrip(" \t*").startswith("@") \
            and lines[at].strip() not in ("*", "*/"):
        at += 1  # a multi-line @param description continues
    new = [f"{indent} * {tag}" for tag in missing]
    if not params and not tags:
        new = [f"{indent} *", *new]
    return newline.join([*lines[:at], *new, *lines[at:]])


def _param_tags(facts: CommentFacts, family: str) -> list[str]:
    if family == "jsdoc":
        return [_jsdoc_param(p) for p in facts.params]
    return [f"@param {p.name} {PLACEHOLDER}" for p in facts.params]
