//! The source tree's shape, checked: imports between the top-level
//! modules of src/ (`use crate::x`, `crate::x::...`, `super::` climbing
//! out of a folder) form no cycle, and no file holds more than about 800
//! lines of code outside its tests. On a failure the test names the
//! modules of each cycle with one import (file:line) per edge, or the
//! files that are too long.
//!
//! `cargo test --test architecture -- --nocapture` prints the whole graph.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The most lines of code (blank lines and comments not counted, tests
/// left out) a source file may hold.
const MAX_CODE_LINES: usize = 800;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The top-level module a file of src/ belongs to (`plan` for
/// src/plan/engine.rs and src/plan.rs; `main` and `lib` for the roots).
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel.components().next().unwrap().as_os_str();
    let first = first.to_string_lossy();
    first.strip_suffix(".rs").unwrap_or(&first).to_string()
}

/// Whether a file is a test file: tests.rs, proptests.rs, or a file in a
/// `tests` folder.
fn is_test_file(file: &Path) -> bool {
    let name = file.file_name().unwrap().to_string_lossy();
    name == "tests.rs"
        || name == "proptests.rs"
        || file
            .components()
            .any(|c| c.as_os_str() == "tests" || c.as_os_str() == "proptests")
}

/// The code of a file without its `#[cfg(test)]` items (a test module
/// inline at the end, a test-only function): each is cut from its
/// attribute to the matching closing brace. Lines kept as they were (cut
/// lines blanked), so line numbers stay true.
fn without_tests(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut keep = vec![true; lines.len()];
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim_start().starts_with("#[cfg(test)]") {
            // From the attribute to the end of the item: a `;` ending the
            // line at depth 0, or the brace that closes the first one.
            let mut depth = 0i32;
            let mut opened = false;
            let mut j = i;
            while j < lines.len() {
                keep[j] = false;
                let code = strip_line_comment(lines[j]);
                for c in code.chars() {
                    match c {
                        '{' => {
                            depth += 1;
                            opened = true;
                        }
                        '}' => depth -= 1,
                        _ => {}
                    }
                }
                if j > i && ((opened && depth <= 0) || (!opened && code.trim_end().ends_with(';')))
                {
                    break;
                }
                j += 1;
            }
            i = j + 1;
            continue;
        }
        i += 1;
    }
    lines
        .iter()
        .zip(&keep)
        .map(|(l, k)| if *k { *l } else { "" })
        .collect::<Vec<_>>()
        .join("\n")
}

fn strip_line_comment(line: &str) -> &str {
    // Good enough for this tree: `//` inside a string on an import line
    // does not occur.
    match line.find("//") {
        Some(i) => &line[..i],
        None => line,
    }
}

/// The top-level modules a piece of code names through `crate::`, each with
/// its line: `crate::plan::x`, and each member of `crate::{plan, orders::y}`.
fn crate_refs(code: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    // Joined so a `use crate::{...}` over several lines reads as one.
    let mut line_of = Vec::new();
    let mut joined = String::new();
    for (n, line) in code.lines().enumerate() {
        let line = strip_line_comment(line);
        for c in line.chars() {
            joined.push(c);
            line_of.push(n + 1);
        }
        joined.push(' ');
        line_of.push(n + 1);
    }
    let bytes = joined.as_bytes();
    let mut from = 0;
    while let Some(pos) = joined[from..].find("crate::") {
        let at = from + pos;
        from = at + 7;
        // `buyerdesk_crate::` or `$crate::`: not ours.
        if at > 0
            && (bytes[at - 1].is_ascii_alphanumeric()
                || bytes[at - 1] == b'_'
                || bytes[at - 1] == b'$')
        {
            continue;
        }
        let rest = &joined[from..];
        if let Some(group) = rest.strip_prefix('{') {
            // Up to the matching brace; each top-level member's first name.
            let mut depth = 1;
            let mut end = 0;
            for (k, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = k;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let mut depth = 0;
            let mut member = String::new();
            let mut members = Vec::new();
            for c in group[..end].chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => members.push(std::mem::take(&mut member)),
                    _ => member.push(c),
                }
            }
            members.push(member);
            for m in members {
                let name: String = m
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.push((name, line_of[at]));
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.push((name, line_of[at]));
            }
        }
    }
    out
}

struct Graph {
    /// module -> module -> the first import making the edge (file:line).
    edges: BTreeMap<String, BTreeMap<String, String>>,
    modules: BTreeSet<String>,
}

fn graph(root: &Path) -> Graph {
    let src = root.join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(&src, f)).collect();
    let mut edges: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for file in &files {
        if is_test_file(file) {
            continue;
        }
        let from = module_of(&src, file);
        if from == "main" || from == "lib" {
            continue;
        }
        let code = without_tests(&std::fs::read_to_string(file).unwrap());
        for (to, line) in crate_refs(&code) {
            if to == from || !modules.contains(&to) {
                continue;
            }
            edges
                .entry(from.clone())
                .or_default()
                .entry(to)
                .or_insert_with(|| {
                    format!("{}:{line}", file.strip_prefix(root).unwrap().display())
                });
        }
    }
    Graph { edges, modules }
}

/// Strongly connected components with more than one module (Tarjan).
fn cycles(g: &Graph) -> Vec<Vec<String>> {
    struct State<'a> {
        g: &'a Graph,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        next: usize,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        if let Some(targets) = s.g.edges.get(v) {
            for w in targets.keys() {
                let w = w.as_str();
                if !s.index.contains_key(w) {
                    visit(s, w);
                    let l = s.low[w].min(s.low[v]);
                    s.low.insert(v, l);
                } else if s.on_stack.contains(w) {
                    let l = s.index[w].min(s.low[v]);
                    s.low.insert(v, l);
                }
            }
        }
        if s.low[v] == s.index[v] {
            let mut scc = Vec::new();
            loop {
                let w = s.stack.pop().unwrap();
                s.on_stack.remove(w);
                scc.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if scc.len() > 1 {
                scc.sort();
                s.out.push(scc);
            }
        }
    }
    let mut s = State {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for m in &g.modules {
        if !s.index.contains_key(m.as_str()) {
            visit(&mut s, m);
        }
    }
    s.out
}

fn describe(g: &Graph) -> String {
    let mut text = String::new();
    for (from, to) in &g.edges {
        let names: Vec<&str> = to.keys().map(String::as_str).collect();
        text.push_str(&format!("{from} -> {}\n", names.join(", ")));
    }
    text
}

#[test]
fn the_top_level_modules_import_each_other_without_a_cycle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let g = graph(root);
    println!("{}", describe(&g));
    let found = cycles(&g);
    let mut report = String::new();
    for scc in &found {
        report.push_str(&format!("cycle among {}:\n", scc.join(", ")));
        for from in scc {
            for (to, at) in g.edges.get(from).into_iter().flatten() {
                if scc.contains(to) {
                    report.push_str(&format!("  {from} -> {to} ({at})\n"));
                }
            }
        }
    }
    assert!(found.is_empty(), "{report}");
}

#[test]
fn no_source_file_holds_more_than_800_lines_of_code() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let mut long = Vec::new();
    for file in files.iter().filter(|f| !is_test_file(f)) {
        let code = without_tests(&std::fs::read_to_string(file).unwrap());
        let n = code
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("//"))
            .count();
        if n > MAX_CODE_LINES {
            long.push(format!(
                "{}: {n} lines of code",
                file.strip_prefix(root).unwrap().display()
            ));
        }
    }
    assert!(
        long.is_empty(),
        "files past {MAX_CODE_LINES} lines of code (split them; tests go in a sibling tests.rs):\n{}",
        long.join("\n")
    );
}

#[test]
fn the_checker_finds_a_cycle_and_reads_grouped_imports() {
    let refs = crate_refs("use crate::{config::Config, plan::{a, b}, tui};\nlet x = crate::orders::y();\nmacro $crate::z");
    let names: Vec<&str> = refs.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(names, ["config", "plan", "tui", "orders"]);
    assert_eq!(refs[3].1, 2);
    let mut g = Graph {
        edges: BTreeMap::new(),
        modules: ["a", "b", "c"].into_iter().map(String::from).collect(),
    };
    g.edges
        .entry("a".into())
        .or_default()
        .insert("b".into(), "x:1".into());
    g.edges
        .entry("b".into())
        .or_default()
        .insert("c".into(), "x:2".into());
    assert!(cycles(&g).is_empty());
    g.edges
        .entry("c".into())
        .or_default()
        .insert("a".into(), "x:3".into());
    assert_eq!(cycles(&g), [vec!["a".to_string(), "b".into(), "c".into()]]);
    let code = without_tests(
        "use crate::a;\n#[cfg(test)]\nmod tests {\n    use crate::b;\n}\nuse crate::c;",
    );
    let names: Vec<String> = crate_refs(&code).into_iter().map(|r| r.0).collect();
    assert_eq!(names, ["a", "c"]);
}
