//! The layering of pegboard's crates (SPEC's pipeline, issue 14), checked
//! from the source. In each crate of [`CRATES`] (`core/src`, `remote/src`,
//! `cli/src`, `pegboard/src`), every `crate::` and `super::` path outside
//! test code is resolved to the file that defines it, following `use`
//! re-exports, and
//!
//! - no file imports from a later layer than its own (core's layers are in
//!   [`LAYERS`], the same order as the diagram in `core/src/lib.rs`; the
//!   other crates are one layer each);
//! - no two files import each other, directly or through others;
//! - no non-test source file is over 600 lines.
//!
//! Between crates, [`CRATE_ORDER`]: a crate depends only on crates below it
//! (`pegboard-core` knows nothing of `pegboard-remote`, gRPC or the command
//! line).
//!
//! A crate root (`lib.rs`), the macros' support module (`private.rs`) and
//! core's extension API (`extend.rs`) are facades: they re-export from every
//! layer and are not checked as layers. Crate-internal code must not import through them by a path that
//! names a facade module (e.g. `crate::registry::`), only through the
//! items they re-export (`crate::Registry`), which resolve to their files.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The layers, lowest first: a file may import from its own layer and the
/// ones before it. The first path segment under `core/src` names the layer.
const LAYERS: [(&str, &[&str]); 7] = [
    ("model", &["model"]),
    ("discover", &["discover"]),
    ("validate", &["validate"]),
    ("order", &["order"]),
    ("supervise", &["supervise"]),
    ("dispatch", &["dispatch"]),
    ("report", &["report"]),
];

/// One crate whose source is checked.
struct Spec {
    /// Its sources, from the workspace root.
    src: &'static str,
    /// Its layers, lowest first; none: the crate is one layer.
    layers: &'static [(&'static str, &'static [&'static str])],
    /// Files that are the crate's facades, not layers.
    facades: &'static [&'static str],
}

/// The crates, in [`CRATE_ORDER`]'s order.
const CRATES: [Spec; 4] = [
    Spec {
        src: "core/src",
        layers: &LAYERS,
        facades: &["lib.rs", "private.rs", "extend.rs"],
    },
    Spec {
        src: "remote/src",
        layers: &[],
        facades: &["lib.rs"],
    },
    Spec {
        src: "cli/src",
        layers: &[],
        facades: &["lib.rs"],
    },
    Spec {
        src: "pegboard/src",
        layers: &[],
        facades: &["lib.rs", "private.rs", "remote.rs", "cli.rs"],
    },
];

/// The workspace's library crates, lowest first, with their folders: each
/// may depend only on crates before it.
const CRATE_ORDER: [(&str, &str); 6] = [
    ("pegboard-api", "api"),
    ("pegboard-macros", "macros"),
    ("pegboard-core", "core"),
    ("pegboard-remote", "remote"),
    ("pegboard-cli", "cli"),
    ("pegboard", "pegboard"),
];

/// What `pegboard-core` must not depend on: the out-of-process runtime
/// lives in `pegboard-remote`.
const NOT_IN_CORE: [&str; 4] = ["tonic", "prost", "tonic-prost", "pegboard-remote"];

const MAX_LINES: usize = 600;

/// The path a re-export from another crate resolves to.
const EXTERN: &str = "<another crate>";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// One source file: its module path and its code without test modules and
/// comments.
struct File {
    rel: String,
    module: Vec<String>,
    code: String,
    lines: usize,
    is_test: bool,
}

fn files(src: &Path) -> Vec<File> {
    let mut out = Vec::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
            .map(|e| e.expect("directory entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path
                .strip_prefix(src)
                .expect("under src")
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(&path).expect("read source");
            let mut module: Vec<String> = rel
                .trim_end_matches(".rs")
                .split('/')
                .map(str::to_owned)
                .collect();
            match module.last().map(String::as_str) {
                Some("mod") => {
                    module.pop();
                }
                Some("lib") => module.clear(),
                Some("private") if module.len() == 1 => module = vec!["__private".into()],
                _ => {}
            }
            let name = module.last().map(String::as_str).unwrap_or("");
            let is_test = name == "tests" || name.starts_with("tests_");
            out.push(File {
                rel,
                module,
                code: strip(&text),
                lines: text.lines().count(),
                is_test,
            });
        }
    }
    out
}

/// The code without comments and without test modules: a
/// `#[cfg(test)]` (or `#[cfg(all(test, ..))]`) `mod` is left out, whether
/// it is declared (`mod tests;`, its file is a test file) or written inline
/// (up to its closing brace), wherever it stands in the file.
fn strip(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let t = line.trim_start();
        let test_only = t == "#[cfg(test)]" || t.starts_with("#[cfg(all(test,");
        if test_only
            && lines
                .peek()
                .is_some_and(|n| n.trim_start().starts_with("mod "))
        {
            let Some(declaration) = lines.next() else {
                break;
            };
            if declaration.trim_end().ends_with(';') {
                continue;
            }
            // An inline module: skip to the line that closes its brace.
            let mut depth = brace_balance(declaration);
            while depth > 0 {
                let Some(inner) = lines.next() else {
                    break;
                };
                depth += brace_balance(inner);
            }
            continue;
        }
        if t.starts_with("//") {
            continue;
        }
        let code = match t.find(" //") {
            Some(i) if !t[..i].contains('"') => &t[..i],
            _ => t,
        };
        out.push_str(code);
        out.push('\n');
    }
    blank_strings(&out)
}

/// The code with the contents of its string literals removed (`"a::b"`
/// becomes `""`), so that a string such as a log target is not read as a
/// path. Handles escapes and strings over several lines; a `'"'` char
/// literal is kept as it is.
fn blank_strings(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut chars = code.chars().peekable();
    let mut in_string = false;
    let mut last = ' ';
    while let Some(c) = chars.next() {
        if in_string {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => {
                    in_string = false;
                    out.push('"');
                }
                '\n' => out.push('\n'),
                _ => {}
            }
            continue;
        }
        if c == '"' && !(last == '\'' && chars.peek() == Some(&'\'')) {
            in_string = true;
        }
        out.push(c);
        last = c;
    }
    out
}

/// Opening minus closing braces on a line (braces in string and char
/// literals are rare enough in this crate's test modules to ignore).
fn brace_balance(line: &str) -> i64 {
    line.chars()
        .map(|c| match c {
            '{' => 1,
            '}' => -1,
            _ => 0,
        })
        .sum()
}

/// Expands `a::{b, c::{d, e as f}}` into its paths (the `as` dropped from
/// the path, kept as the bound name).
fn expand(tree: &str, prefix: &[String], out: &mut Vec<(Vec<String>, String)>) {
    let tree = tree.trim();
    if tree.is_empty() {
        return;
    }
    if let Some(open) = tree.find('{') {
        let head: Vec<String> = tree[..open]
            .split("::")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let mut base = prefix.to_vec();
        base.extend(head);
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let mut depth = 0;
        let mut start = 0;
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(&inner[start..i], &base, out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        expand(&inner[start..], &base, out);
        return;
    }
    let (path, alias) = match tree.split_once(" as ") {
        Some((p, a)) => (p.trim(), Some(a.trim())),
        None => (tree, None),
    };
    let mut segments = prefix.to_vec();
    segments.extend(path.split("::").map(|s| s.trim().to_owned()));
    if segments.last().is_some_and(|s| s == "self") {
        segments.pop();
    }
    let name = alias
        .map(str::to_owned)
        .or_else(|| segments.last().cloned())
        .unwrap_or_default();
    out.push((segments, name));
}

/// Every `use` of a file: (path, bound name, whether it is a re-export).
fn uses(code: &str) -> Vec<(Vec<String>, String, bool)> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = find_use(rest) {
        let is_pub = rest[..i].trim_end().ends_with("pub") || rest[..i].trim_end().ends_with(')');
        let after = &rest[i + 4..];
        let end = after.find(';').unwrap_or(after.len());
        let mut paths = Vec::new();
        expand(&after[..end], &[], &mut paths);
        out.extend(paths.into_iter().map(|(p, n)| (p, n, is_pub)));
        rest = &after[end..];
    }
    out
}

fn find_use(code: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = code[from..].find("use ") {
        let at = from + i;
        let before = code[..at].chars().next_back();
        if before.is_none_or(|c| c.is_whitespace() || c == '{' || c == '}' || c == ';') {
            return Some(at);
        }
        from = at + 4;
    }
    None
}

/// Inline paths (`crate::a::b` outside `use`), as segment lists.
fn inline_paths(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for start in ["crate::", "super::", "pegboard::"] {
        let mut from = 0;
        while let Some(i) = code[from..].find(start) {
            let at = from + i;
            let before = code[..at].chars().next_back();
            from = at + start.len();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let path: String = code[at..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let segments: Vec<String> = path
                .split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            out.push(segments);
        }
    }
    out
}

struct Crate {
    /// Module path -> index in `files`.
    modules: BTreeMap<Vec<String>, usize>,
    /// Module path -> (bound name -> path it re-exports).
    reexports: BTreeMap<Vec<String>, BTreeMap<String, Vec<String>>>,
}

impl Crate {
    /// The file that defines what `path` (absolute, from the crate root)
    /// names, `None` if another crate does; `Err` if it cannot be found.
    fn resolve(&self, path: &[String], depth: usize) -> Result<Option<usize>, String> {
        if path.first().is_some_and(|s| s == EXTERN) {
            return Ok(None);
        }
        if depth > 16 {
            return Err(format!("re-export loop at {}", path.join("::")));
        }
        let mut module: Vec<String> = Vec::new();
        for (k, segment) in path.iter().enumerate() {
            let mut child = module.clone();
            child.push(segment.clone());
            if self.modules.contains_key(&child) {
                module = child;
                continue;
            }
            if let Some(target) = self.reexports.get(&module).and_then(|r| r.get(segment)) {
                let mut full = target.clone();
                full.extend(path[k + 1..].iter().cloned());
                return self.resolve(&full, depth + 1);
            }
            break;
        }
        match self.modules.get(&module) {
            Some(&i) => Ok(Some(i)),
            None => Err(format!("cannot resolve {}", path.join("::"))),
        }
    }
}

/// Makes `path`, written in module `at`, absolute (`crate::`, `super::`,
/// `self::`, or a child module of `at`); `None` for paths into other crates.
fn absolute(
    at: &[String],
    path: &[String],
    modules: &BTreeMap<Vec<String>, usize>,
) -> Option<Vec<String>> {
    let first = path.first()?;
    match first.as_str() {
        // `extern crate self as pegboard` makes `pegboard::` this crate too.
        "crate" | "pegboard" => Some(path[1..].to_vec()),
        "self" => {
            let mut p = at.to_vec();
            p.extend(path[1..].iter().cloned());
            Some(p)
        }
        "super" => {
            let mut p = at.to_vec();
            let mut rest = path;
            while rest.first().is_some_and(|s| s == "super") {
                p.pop()?;
                rest = &rest[1..];
            }
            p.extend(rest.iter().cloned());
            Some(p)
        }
        _ => {
            let mut p = at.to_vec();
            p.push(first.clone());
            modules.contains_key(&p).then(|| {
                p.extend(path[1..].iter().cloned());
                p
            })
        }
    }
}

fn layer(layers: &[(&str, &[&str])], rel: &str) -> Option<usize> {
    if layers.is_empty() {
        return Some(0);
    }
    let top = rel.split('/').next()?;
    layers
        .iter()
        .position(|(_, dirs)| dirs.iter().any(|d| *d == top || format!("{d}.rs") == top))
}

#[test]
fn crates_are_layered_without_circles_or_oversized_files() {
    let mut problems = Vec::new();
    for spec in &CRATES {
        let found = check(spec);
        assert!(found.checked > 0, "{}: no files read", spec.src);
        problems.extend(found.problems);
    }
    assert!(
        problems.is_empty(),
        "{} problems with the crates' layering:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// What [`check`] found in one crate.
struct Found {
    /// The files read, facades and tests included.
    checked: usize,
    problems: Vec<String>,
}

fn check(spec: &Spec) -> Found {
    let files = files(&root().join(spec.src));
    let at = |rel: &str| format!("{}/{rel}", spec.src);
    let modules: BTreeMap<Vec<String>, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.module.clone(), i))
        .collect();
    let mut reexports: BTreeMap<Vec<String>, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for f in &files {
        for (path, name, is_pub) in uses(&f.code) {
            if !is_pub {
                continue;
            }
            // A re-export from another crate (`pub use pegboard_api::...`)
            // is marked, so paths through it are known to leave the crate.
            let abs = absolute(&f.module, &path, &modules).unwrap_or_else(|| vec![EXTERN.into()]);
            reexports
                .entry(f.module.clone())
                .or_default()
                .insert(name, abs);
        }
    }
    let krate = Crate { modules, reexports };
    let modules = &krate.modules;

    let mut problems = Vec::new();
    let mut edges: BTreeMap<usize, BTreeMap<usize, BTreeSet<String>>> = BTreeMap::new();
    for (i, f) in files.iter().enumerate() {
        if f.lines > MAX_LINES && !f.is_test {
            problems.push(format!(
                "{}: {} lines (at most {MAX_LINES})",
                at(&f.rel),
                f.lines
            ));
        }
        if f.is_test || spec.facades.contains(&f.rel.as_str()) {
            continue;
        }
        if layer(spec.layers, &f.rel).is_none() {
            problems.push(format!("{}: in no layer (see LAYERS)", at(&f.rel)));
        }
        let mut paths: Vec<Vec<String>> = uses(&f.code).into_iter().map(|(p, _, _)| p).collect();
        paths.extend(inline_paths(&f.code));
        for path in paths {
            let Some(abs) = absolute(&f.module, &path, modules) else {
                continue;
            };
            if abs.is_empty() {
                continue;
            }
            let target = match krate.resolve(&abs, 0) {
                Ok(Some(t)) => t,
                Ok(None) => continue,
                Err(e) => {
                    problems.push(format!("{}: {e}", at(&f.rel)));
                    continue;
                }
            };
            let to = &files[target];
            if target == i || to.is_test {
                continue;
            }
            // The macros' support module is what generated code calls;
            // the crate may call it too (it defines a few helpers there).
            if to.rel == "private.rs" {
                continue;
            }
            if spec.facades.contains(&to.rel.as_str()) {
                problems.push(format!(
                    "{}: `{}` names an item of a facade; import it from the file that defines it",
                    at(&f.rel),
                    path.join("::")
                ));
                continue;
            }
            if let (Some(from), Some(into)) =
                (layer(spec.layers, &f.rel), layer(spec.layers, &to.rel))
                && into > from
            {
                problems.push(format!(
                    "{} ({}) imports {} from {} ({}), a later layer",
                    at(&f.rel),
                    spec.layers[from].0,
                    path.join("::"),
                    at(&to.rel),
                    spec.layers[into].0
                ));
            }
            edges
                .entry(i)
                .or_default()
                .entry(target)
                .or_default()
                .insert(path.last().cloned().unwrap_or_default());
        }
    }
    for cycle in circles(files.len(), &edges) {
        let mut text = format!("import circle of {} files:", cycle.len());
        for &a in &cycle {
            for (&b, names) in edges.get(&a).into_iter().flatten() {
                if cycle.contains(&b) {
                    let _ = write!(
                        text,
                        "\n    {} -> {}: {}",
                        at(&files[a].rel),
                        at(&files[b].rel),
                        names.iter().cloned().collect::<Vec<_>>().join(", ")
                    );
                }
            }
        }
        problems.push(text);
    }
    problems.sort();
    problems.dedup();
    Found {
        checked: files.len(),
        problems,
    }
}

/// The names of a crate's dependencies (normal and target-specific; not
/// dev- or build-dependencies).
fn dependencies(folder: &str) -> BTreeSet<String> {
    let path = root().join(folder).join("Cargo.toml");
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let manifest: toml::Table = text
        .parse()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut names = BTreeSet::new();
    let mut add = |table: Option<&toml::Value>| {
        for (name, spec) in table.and_then(toml::Value::as_table).into_iter().flatten() {
            let package = spec
                .get("package")
                .and_then(toml::Value::as_str)
                .unwrap_or(name);
            names.insert(package.to_owned());
        }
    };
    add(manifest.get("dependencies"));
    for target in manifest
        .get("target")
        .and_then(toml::Value::as_table)
        .into_iter()
        .flatten()
    {
        add(target.1.get("dependencies"));
    }
    names
}

#[test]
fn crates_depend_only_on_the_crates_below_them() {
    let mut problems = Vec::new();
    for (k, (name, folder)) in CRATE_ORDER.iter().enumerate() {
        let deps = dependencies(folder);
        for (above, _) in &CRATE_ORDER[k..] {
            if deps.contains(*above) {
                problems.push(format!("{name} depends on {above}, which is not below it"));
            }
        }
        if *name == "pegboard-core" {
            assert!(
                deps.contains("serde"),
                "read pegboard-core's dependencies: {deps:?}"
            );
            for dep in NOT_IN_CORE {
                if deps.contains(dep) {
                    problems.push(format!(
                        "pegboard-core depends on {dep}, which belongs to pegboard-remote"
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The strongly connected components of more than one file (Tarjan).
fn circles(
    n: usize,
    edges: &BTreeMap<usize, BTreeMap<usize, BTreeSet<String>>>,
) -> Vec<Vec<usize>> {
    struct State<'e> {
        edges: &'e BTreeMap<usize, BTreeMap<usize, BTreeSet<String>>>,
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        out: Vec<Vec<usize>>,
    }
    fn visit(s: &mut State<'_>, v: usize) {
        s.index[v] = Some(s.next);
        s.low[v] = s.next;
        s.next += 1;
        s.stack.push(v);
        s.on_stack[v] = true;
        let targets: Vec<usize> = s
            .edges
            .get(&v)
            .map(|m| m.keys().copied().collect())
            .unwrap_or_default();
        for w in targets {
            match s.index[w] {
                None => {
                    visit(s, w);
                    s.low[v] = s.low[v].min(s.low[w]);
                }
                Some(iw) if s.on_stack[w] => s.low[v] = s.low[v].min(iw),
                Some(_) => {}
            }
        }
        if Some(s.low[v]) == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack[w] = false;
                component.push(w);
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.out.push(component);
            }
        }
    }
    let mut s = State {
        edges,
        index: vec![None; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        stack: Vec::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in 0..n {
        if s.index[v].is_none() {
            visit(&mut s, v);
        }
    }
    s.out
}

/// The checker itself: a circle, an upward import and a long file are each
/// found in a small made-up crate (so the test above cannot pass by
/// reading nothing).
#[test]
fn the_checker_finds_what_it_looks_for() {
    let code = strip(
        "use crate::{a::b, c::{d as e, f}};\n// use crate::z;\n#[cfg(test)]\nmod tests {\n use crate::y;\n}\n",
    );
    let paths: Vec<String> = uses(&code)
        .into_iter()
        .map(|(p, n, _)| format!("{}={n}", p.join("::")))
        .collect();
    assert_eq!(paths, ["crate::a::b=b", "crate::c::d=e", "crate::c::f=f"]);
    // A test module declared or written mid-file hides only itself.
    let code = strip(
        "#[cfg(test)]\nmod tests;\nuse crate::x;\n#[cfg(all(test, unix))]\nmod t {\n    fn f() { use crate::y; }\n}\nuse pegboard::z;\n",
    );
    let paths: Vec<String> = uses(&code)
        .into_iter()
        .map(|(p, _, _)| p.join("::"))
        .collect();
    assert_eq!(paths, ["crate::x", "pegboard::z"]);
    // A string that looks like a path is not one.
    let code = strip("const T: &str = \"pegboard::remote::x\";\nlet q = '\"';\nuse crate::w;\n");
    assert!(
        inline_paths(&code)
            .iter()
            .all(|p| p.join("::") == "crate::w"),
        "{code}"
    );
    assert_eq!(
        absolute(&[], &["pegboard".into(), "z".into()], &BTreeMap::new()),
        Some(vec!["z".to_owned()])
    );
    let mut edges = BTreeMap::new();
    edges.insert(0, BTreeMap::from([(1, BTreeSet::new())]));
    edges.insert(1, BTreeMap::from([(2, BTreeSet::new())]));
    edges.insert(2, BTreeMap::from([(0, BTreeSet::new())]));
    edges.insert(3, BTreeMap::from([(0, BTreeSet::new())]));
    assert_eq!(circles(4, &edges), [vec![0, 1, 2]]);
    assert_eq!(layer(&LAYERS, "model/descriptor.rs"), Some(0));
    assert_eq!(layer(&LAYERS, "report/http/mod.rs"), Some(6));
    assert_eq!(layer(&LAYERS, "remote/mod.rs"), None);
    assert_eq!(layer(&[], "anything/at/all.rs"), Some(0));
    assert!(layer(&LAYERS, "model/x.rs") < layer(&LAYERS, "supervise/registry.rs"));
    assert_eq!(
        absolute(
            &["a".into(), "b".into()],
            &["super".into(), "c".into()],
            &BTreeMap::new()
        ),
        Some(vec!["a".to_owned(), "c".to_owned()])
    );
}
