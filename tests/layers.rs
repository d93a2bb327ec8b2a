//! The house's layers, read from the `use` lines and `crate::`/`super::` paths of `src/` (the
//! binaries' own folders aside): no module imports from a layer above its own or from another
//! module of its layer (the faces stay apart), and no files import each other in a circle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first. A module may import from the layers below its own.
const LAYERS: &[&[&str]] = &[
    &["domain", "failpoint", "shutdown", "request_span"],
    &["error"],
    &["db"],
    &["telemetry", "deployment_document", "hold_document"],
    &["service"],
    &["settings"],
    &["runtime"],
    &["http"],
    // The faces and the background loops: none imports another.
    &["api", "console", "deployment_worker", "webhook_delivery"],
    &["background", "client"],
    &["app", "config"],
];

/// Imports across a layer that are allowed: the console and the client speak the API's wire types.
const ALLOWED: &[(&str, &str)] = &[("console", "api::wire"), ("client", "api::wire")];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every source file of the library, as its path below `src/`.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path != src().join("bin") {
                files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path.strip_prefix(src()).unwrap().to_path_buf());
        }
    }
}

/// The module path of a file: `api/wire/mod.rs` is `api::wire`.
fn module_of(file: &Path) -> Vec<String> {
    let mut parts: Vec<String> = file.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "mod" | "lib" | "main") {
        parts.push(stem.to_string());
    }
    parts
}

/// The file that holds module `path` (or the nearest module above it that has a file).
fn file_of(path: &[String], known: &BTreeSet<PathBuf>) -> Option<PathBuf> {
    (1..=path.len()).rev().find_map(|k| {
        let base: PathBuf = path[..k].iter().collect();
        [base.with_extension("rs"), base.join("mod.rs")].into_iter().find(|f| known.contains(f))
    })
}

/// `a::{b, c::{d, e}}` as `a::b`, `a::c::d`, `a::c::e`.
fn expand(path: &str) -> Vec<String> {
    let Some(open) = path.find('{') else { return vec![path.to_string()] };
    let (head, body) = (&path[..open], &path[open + 1..path.len() - 1]);
    let (mut parts, mut depth, mut cur) = (Vec::new(), 0, String::new());
    for ch in body.chars() {
        match ch {
            ',' if depth == 0 => parts.push(std::mem::take(&mut cur)),
            '{' => {
                depth += 1;
                cur.push(ch)
            }
            '}' => {
                depth -= 1;
                cur.push(ch)
            }
            _ => cur.push(ch),
        }
    }
    parts.push(cur);
    parts.iter().filter(|p| !p.trim().is_empty()).flat_map(|p| expand(&format!("{head}{}", p.trim()))).collect()
}

/// The code of a file without its comments, its string literals and its tests.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap();
    let comments = regex::Regex::new(r"//[^\n]*").unwrap();
    let strings = regex::Regex::new(r#""(\\.|[^"\\])*""#).unwrap();
    strings.replace_all(&comments.replace_all(text, ""), "\"\"").into_owned()
}

/// The module paths a file names: `use crate::…`, `use super::…` and paths in its code.
fn imports(file: &Path, text: &str) -> Vec<Vec<String>> {
    let me = module_of(file);
    let uses = regex::Regex::new(r"\buse\s+((?:crate|super)::[^;]+);").unwrap();
    let inline = regex::Regex::new(r"(?:^|[^\w:])((?:crate|super)(?:::\w+)+)").unwrap();
    let text = code(text);
    let mut paths: Vec<String> = uses.captures_iter(&text).map(|c| c[1].split_whitespace().collect()).collect();
    let body = uses.replace_all(&text, "");
    paths.extend(inline.captures_iter(&body).map(|c| c[1].to_string()));
    let mut out = Vec::new();
    for path in paths.iter().flat_map(|p| expand(p)) {
        let segs: Vec<&str> = path.split("::").collect();
        let mut module: Vec<String> = if segs[0] == "crate" {
            vec![]
        } else {
            // `super` is the module above this file's own (`api/mod.rs` is `api`, `api/admin.rs` is
            // `api::admin`).
            let mut base = me.clone();
            base.pop();
            base
        };
        let mut rest = if segs[0] == "crate" { &segs[1..] } else { &segs[..] };
        while rest.first() == Some(&"super") {
            if rest.len() > 1 && rest[1] == "super" {
                module.pop();
            }
            rest = &rest[1..];
        }
        module.extend(rest.iter().filter(|s| !matches!(**s, "self" | "*")).map(|s| s.to_string()));
        out.push(module);
    }
    out
}

fn layer_of(module: &str) -> usize {
    LAYERS.iter().position(|l| l.contains(&module)).unwrap_or_else(|| panic!("module `{module}` is in no layer"))
}

/// The library's files and, for each, the files it imports.
fn graph() -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let mut all = Vec::new();
    files(&src(), &mut all);
    let known: BTreeSet<PathBuf> = all.iter().cloned().collect();
    all.iter()
        .map(|f| {
            let text = std::fs::read_to_string(src().join(f)).unwrap();
            let targets = imports(f, &text).iter().filter_map(|m| file_of(m, &known)).filter(|t| t != f).collect();
            (f.clone(), targets)
        })
        .collect()
}

#[test]
fn no_module_imports_from_a_layer_above_its_own_or_from_another_face() {
    let mut all = Vec::new();
    files(&src(), &mut all);
    let known: BTreeSet<PathBuf> = all.iter().cloned().collect();
    let mut wrong = Vec::new();
    for f in &all {
        let me = module_of(f);
        let Some(top) = me.first() else { continue };
        let text = std::fs::read_to_string(src().join(f)).unwrap();
        for target in imports(f, &text) {
            let Some(their) = target.first() else { continue };
            if their == top || file_of(&target, &known).is_none() {
                continue;
            }
            let joined = target.join("::");
            let allowed = ALLOWED.iter().any(|(from, to)| from == top && joined.starts_with(to));
            if !allowed && layer_of(their) >= layer_of(top) {
                wrong.push(format!("{} imports {joined}", f.display()));
            }
        }
    }
    wrong.sort();
    wrong.dedup();
    assert!(wrong.is_empty(), "imports from the same layer or above:\n{}", wrong.join("\n"));
}

#[test]
fn no_files_import_each_other_in_a_circle() {
    let graph = graph();
    // A file is in a circle when it reaches itself.
    let mut circles = Vec::new();
    for start in graph.keys() {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&PathBuf> = graph[start].iter().collect();
        while let Some(f) = stack.pop() {
            if f == start {
                circles.push(start.display().to_string());
                break;
            }
            if seen.insert(f) {
                stack.extend(graph.get(f).into_iter().flatten());
            }
        }
    }
    assert!(circles.is_empty(), "files in an import circle:\n{}", circles.join("\n"));
}

#[test]
fn the_check_reads_paths_as_the_compiler_does() {
    let file = Path::new("service/deployments/run.rs");
    let found =
        imports(file, "use super::super::{releases, webhooks};\nuse crate::db::{now, DbConn};\n// crate::api\n");
    let found: Vec<String> = found.iter().map(|m| m.join("::")).collect();
    assert_eq!(found, ["service::releases", "service::webhooks", "db::now", "db::DbConn"]);
    let text = "let s = \"crate::api::x\"; crate::runtime::db(&s); super::x::y();";
    let found: Vec<String> = imports(Path::new("api/mod.rs"), text).iter().map(|m| m.join("::")).collect();
    assert_eq!(found, ["runtime::db", "x::y"]);
}
