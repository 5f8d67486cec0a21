//! What `link_plugins!()` needs from the calling crate's `Cargo.toml`: its
//! dependencies (every table that can hold them), its features, and its
//! targets, to know which kind of target is being compiled.

use std::collections::BTreeMap;
use std::path::Path;

use toml::{Table, Value};

/// One dependency entry.
pub struct Dep {
    /// The name the crate has in code (the entry's key, `-` as `_`).
    pub extern_name: String,
    /// The key as written, which features name with `dep:`.
    pub key: String,
    pub optional: bool,
    /// From a `dev-dependencies` table.
    pub dev: bool,
    /// The `cfg(...)` predicate of a `[target.'cfg(...)'.*]` table, as written.
    pub target: Option<String>,
    /// The table it came from, for messages.
    pub table: String,
}

/// The parts of a manifest `link_plugins!()` reads.
pub struct Manifest {
    pub package: String,
    pub deps: Vec<Dep>,
    pub features: BTreeMap<String, Vec<String>>,
    /// The library target's crate name, if the package has a library that
    /// other targets can link (not a proc-macro).
    pub lib: Option<String>,
    /// The names of the package's binary targets.
    pub bins: Vec<String>,
}

impl Manifest {
    pub fn read(dir: &Path) -> Result<Manifest, String> {
        let path = dir.join("Cargo.toml");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let table: Table =
            toml::from_str(&text).map_err(|e| format!("cannot parse {}: {e}", path.display()))?;
        let package = table
            .get("package")
            .and_then(|p| p.get("name"))
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{} has no [package] name", path.display()))?
            .to_owned();

        let mut deps = Vec::new();
        collect_deps(&table, None, &mut deps);
        if let Some(targets) = table.get("target").and_then(Value::as_table) {
            for (target, tables) in targets {
                if let Some(tables) = tables.as_table() {
                    collect_deps(tables, Some(target), &mut deps);
                }
            }
        }

        let features = table
            .get("features")
            .and_then(Value::as_table)
            .map(|f| {
                f.iter()
                    .map(|(k, v)| {
                        let list = v
                            .as_array()
                            .map(|a| {
                                a.iter()
                                    .filter_map(Value::as_str)
                                    .map(str::to_owned)
                                    .collect()
                            })
                            .unwrap_or_default();
                        (k.clone(), list)
                    })
                    .collect()
            })
            .unwrap_or_default();

        Ok(Manifest {
            lib: lib_name(&table, dir, &package),
            bins: bin_names(&table, dir, &package),
            package,
            deps,
            features,
        })
    }

    /// Every feature that enables the optional dependency `dep`, directly or
    /// through other features.
    pub fn enabling_features(&self, dep: &Dep) -> Vec<String> {
        let explicit = self
            .features
            .values()
            .flatten()
            .any(|f| f == &format!("dep:{}", dep.key));
        let mut enabling: Vec<String> = Vec::new();
        // Without any `dep:` use, cargo makes an implicit feature of the name.
        if !explicit {
            enabling.push(dep.key.clone());
        }
        let enables_dep = |f: &String| {
            f == &format!("dep:{}", dep.key)
                || (!explicit && f == &dep.key)
                // `dep/feature` enables `dep`; `dep?/feature` does not.
                || f.starts_with(&format!("{}/", dep.key))
        };
        for (feature, list) in &self.features {
            if list.iter().any(enables_dep) && !enabling.contains(feature) {
                enabling.push(feature.clone());
            }
        }
        loop {
            let before = enabling.len();
            for (feature, list) in &self.features {
                if !enabling.contains(feature) && list.iter().any(|f| enabling.contains(f)) {
                    enabling.push(feature.clone());
                }
            }
            if enabling.len() == before {
                break;
            }
        }
        enabling.sort();
        enabling
    }
}

fn collect_deps(tables: &Table, target: Option<&String>, out: &mut Vec<Dep>) {
    let kinds = [
        ("dependencies", false),
        ("dev-dependencies", true),
        ("dev_dependencies", true),
    ];
    for (kind, dev) in kinds {
        let Some(entries) = tables.get(kind).and_then(Value::as_table) else {
            continue;
        };
        for (key, spec) in entries {
            let table = match target {
                Some(t) => format!("[target.'{t}'.{kind}]"),
                None => format!("[{kind}]"),
            };
            out.push(Dep {
                extern_name: key.replace('-', "_"),
                key: key.clone(),
                optional: spec
                    .get("optional")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                dev,
                target: target.cloned(),
                table,
            });
        }
    }
}

fn autodiscover(table: &Table, key: &str) -> bool {
    table
        .get("package")
        .and_then(|p| p.get(key))
        .and_then(Value::as_bool)
        .unwrap_or(true)
}

fn lib_name(table: &Table, dir: &Path, package: &str) -> Option<String> {
    let lib = table.get("lib").and_then(Value::as_table);
    let exists =
        lib.is_some() || (autodiscover(table, "autolib") && dir.join("src/lib.rs").is_file());
    if !exists {
        return None;
    }
    if lib
        .and_then(|l| l.get("proc-macro"))
        .and_then(Value::as_bool)
        == Some(true)
    {
        return None;
    }
    let linkable = lib
        .and_then(|l| l.get("crate-type"))
        .and_then(Value::as_array)
        .is_none_or(|types| {
            types
                .iter()
                .any(|t| matches!(t.as_str(), Some("lib" | "rlib")))
        });
    if !linkable {
        return None;
    }
    let name = lib
        .and_then(|l| l.get("name"))
        .and_then(Value::as_str)
        .unwrap_or(package);
    Some(name.replace('-', "_"))
}

fn bin_names(table: &Table, dir: &Path, package: &str) -> Vec<String> {
    let mut bins: Vec<String> = table
        .get("bin")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|b| b.get("name").and_then(Value::as_str).map(str::to_owned))
        .collect();
    if autodiscover(table, "autobins") {
        if dir.join("src/main.rs").is_file() {
            bins.push(package.to_owned());
        }
        if let Ok(entries) = std::fs::read_dir(dir.join("src/bin")) {
            for entry in entries.flatten() {
                let path = entry.path();
                let name = if path.is_dir() && path.join("main.rs").is_file() {
                    path.file_name()
                } else if path.extension().is_some_and(|e| e == "rs") {
                    path.file_stem()
                } else {
                    None
                };
                if let Some(name) = name.and_then(|n| n.to_str()) {
                    bins.push(name.to_owned());
                }
            }
        }
    }
    bins
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(features: &[(&str, &[&str])]) -> Manifest {
        Manifest {
            package: "host".into(),
            deps: Vec::new(),
            features: features
                .iter()
                .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
                .collect(),
            lib: None,
            bins: Vec::new(),
        }
    }

    fn dep(key: &str) -> Dep {
        Dep {
            extern_name: key.replace('-', "_"),
            key: key.into(),
            optional: true,
            dev: false,
            target: None,
            table: "[dependencies]".into(),
        }
    }

    #[test]
    fn features_that_enable_an_optional_dependency() {
        let m = manifest(&[
            ("store", &["dep:store-memory"]),
            ("all", &["store", "other"]),
            ("tuned", &["store-memory?/fast"]),
            ("other", &[]),
        ]);
        // `dep:` used, so no implicit feature; `?/` does not enable it.
        assert_eq!(m.enabling_features(&dep("store-memory")), ["all", "store"]);

        let m = manifest(&[("fast", &["cache/fast"])]);
        // No `dep:` anywhere: the implicit feature, and `cache/fast`.
        assert_eq!(m.enabling_features(&dep("cache")), ["cache", "fast"]);
    }
}
