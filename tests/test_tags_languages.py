"""Tags for JavaScript/TypeScript, Java, Go and Rust: definitions, signatures, imports, index."""

from __future__ import annotations

from pathlib import Path

import pytest
from trees import write_tree

from typehole.base import syntax
from typehole.context.index import Index
from typehole.context.tags import extract_tags

TS = '''import fs, { readFile as rf, join } from "node:fs";
import * as path from "./path";
/**
 * Loads a thing.
 */
export function load(p: string, n = 2): Promise<Buffer> { return rf(p); }
export const add = (a: number, b: number): number => a + b;
export const LIMIT: number = 10;
interface Shape { area(): number; }
export class Box<T> extends Base implements Shape {
  /** Area. */
  area(): number { const inner = () => 1; return 0; }
}
'''

JS = '''const util = require("util");
import def from "./d.js";
function plain(a, b) { function local() {} return a; }
class K { constructor(x) { this.x = x; } get y() { return 1; } }
'''

JAVA = '''package a.b;
import java.util.List;
import static java.lang.Math.*;
/** A thing. */
public class A<T> extends B implements C {
  private final List<String> names = null;
  public static <T> List<T> of(T... xs) throws IOException { return null; }
  interface I { void run(); }
}
'''

GO = '''package main
import (
  "fmt"
  h "net/http"
)
// Server serves.
type Server struct { x int }
type Reader interface { Read() error }
func (s *Server) Run(a int, b string) (int, error) { return 0, nil }
func F() {}
'''

RUST = '''use std::collections::{HashMap, hash_map::Entry as E};
use crate::io::*;
/// Adds.
#[inline]
pub fn add<T: Copy>(a: i32, b: &str) -> Result<i32, String> { Ok(a) }
pub struct P { x: i32 }
impl<T> Foo<T> { pub fn m(&self, y: u8) -> u8 { fn local() {} y } }
trait Tr { fn t(&self); }
'''


def _tags(source: str, language: str):
    return extract_tags(source.encode(), "", f"x.{language}", language=language)


def _by_qual(source: str, language: str) -> dict:
    return {d.qualname: d for d in _tags(source, language).definitions}


@pytest.mark.parametrize("language", ["javascript", "typescript", "tsx", "java", "go", "rust"])
def test_grammars_load_offline(language: str) -> None:
    assert syntax.supported(language)
    tree = syntax.parse("x", language)
    assert tree is not None and tree.root_node.type in ("program", "source_file")


def test_typescript_definitions_and_imports() -> None:
    defs = _by_qual(TS, "typescript")
    assert defs["load"].kind == "function"
    assert defs["load"].signature == "function load(p: string, n = 2): Promise<Buffer>"
    assert defs["load"].annotation == "Promise<Buffer>"
    assert defs["load"].doc == "Loads a thing."
    assert defs["add"].kind == "function"  # an arrow function, not a constant
    assert defs["add"].signature == "const add = (a: number, b: number): number"
    assert defs["LIMIT"].kind == "variable"
    assert defs["Shape"].kind == "class" and defs["Shape"].signature == "interface Shape"
    assert defs["Box"].signature == "class Box<T> extends Base implements Shape"
    assert defs["Box.area"].kind == "method" and defs["Box.area"].doc == "Area."
    assert "inner" not in {d.name for d in defs.values()}  # local to a method
    imports = {(i.module, i.name, i.alias) for i in _tags(TS, "typescript").imports}
    assert imports == {("node:fs", "default", "fs"), ("node:fs", "readFile", "rf"),
                       ("node:fs", "join", "join"), ("./path", "", "path")}


def test_javascript_functions_classes_require() -> None:
    defs = _by_qual(JS, "javascript")
    assert set(defs) == {"plain", "K", "K.constructor", "K.y"}
    assert defs["plain"].signature == "function plain(a, b)"
    imports = {(i.module, i.name, i.alias) for i in _tags(JS, "javascript").imports}
    assert imports == {("util", "", "util"), ("./d.js", "default", "def")}


def test_java_definitions_and_imports() -> None:
    defs = _by_qual(JAVA, "java")
    assert defs["A"].doc == "A thing." and defs["A"].kind == "class"
    assert defs["A.of"].signature == \
        "public static <T> List<T> of(T... xs) throws IOException"
    assert defs["A.of"].annotation == "List<T>"
    assert defs["A.names"].kind == "field" and defs["A.names"].annotation == "List<String>"
    assert defs["A.I.run"].kind == "method"
    imports = {(i.module, i.name) for i in _tags(JAVA, "java").imports}
    assert imports == {("java.util", "List"), ("java.lang.Math", "*")}


def test_go_definitions_and_imports() -> None:
    defs = _by_qual(GO, "go")
    assert defs["Server"].signature == "type Server struct"
    assert defs["Server"].doc == "Server serves."
    assert defs["Reader"].signature == "type Reader interface"
    run = defs["Server.Run"]
    assert run.kind == "method" and run.parent == "Server"
    assert run.signature == "func (s *Server) Run(a int, b string) (int, error)"
    assert run.annotation == "(int, error)"
    imports = {(i.module, i.alias) for i in _tags(GO, "go").imports}
    assert imports == {("fmt", "fmt"), ("net/http", "h")}


def test_rust_definitions_and_imports() -> None:
    defs = _by_qual(RUST, "rust")
    assert defs["add"].signature == \
        "pub fn add<T: Copy>(a: i32, b: &str) -> Result<i32, String>"
    assert defs["add"].annotation == "Result<i32, String>" and defs["add"].doc == "Adds."
    assert defs["Foo.m"].kind == "method" and defs["Foo.m"].parent == "Foo"
    assert defs["Tr.t"].kind == "method" and defs["P"].kind == "class"
    assert "local" not in {d.name for d in defs.values()}
    imports = {(i.module, i.name, i.alias) for i in _tags(RUST, "rust").imports}
    assert imports == {("std::collections", "HashMap", "HashMap"),
                       ("std::collections::hash_map", "Entry", "E"), ("crate::io", "*", "*")}


def test_broken_code_keeps_what_parses() -> None:
    broken = "function ok(a) { return a; }\nfunction bad(b { \n"
    assert "ok" in _by_qual(broken, "javascript")


def test_index_holds_other_languages(tmp_path: Path) -> None:
    write_tree(tmp_path, {"web/app.ts": TS, "src/A.java": JAVA, "cmd/main.go": GO,
                          "src/lib.rs": RUST, "web/old.js": JS})
    index = Index(tmp_path, cache_dir=tmp_path / ".cache")
    try:
        index.build()
        assert {d.qualname for d in index.definitions_in("cmd/main.go")} == \
            {"Server", "Reader", "Server.Run", "F"}
        assert [d.path for d in index.named("Box")] == ["web/app.ts"]
        assert any(i.module == "node:fs" for i in index.imports_of("web/app.ts"))
        assert index.search_windows("HashMap Entry")[0][0] == "src/lib.rs"
        # Editing one file re-reads its tags.
        index.update_file(tmp_path / "cmd/main.go", GO + "func G() int { return 1 }\n")
        assert "G" in {d.name for d in index.definitions_in("cmd/main.go")}
    finally:
        index.close()


def test_cache_without_other_tags_is_reread(tmp_path: Path) -> None:
    (tmp_path / "main.go").write_text(GO)
    index = Index(tmp_path, cache_dir=tmp_path / ".cache")
    try:
        index.build()
        with index.store.lock:  # what an index built before these grammars looks like
            index.store.conn.execute("DELETE FROM defs")
            index.store.conn.execute("DELETE FROM meta WHERE key='tagged'")
        stats = index.build()
        assert stats.indexed == 1
        assert "F" in {d.name for d in index.definitions_in("main.go")}
        assert index.build().indexed == 0
    finally:
        index.close()
