//! `plugins list`: one line per plugin, or JSON.

use std::io::{self, Write};
use std::path::Path;

use pegboard_core::Linked;
use pegboard_core::Registry;

use super::builder::Cli;
use super::failed::{Failed, written};

impl Cli {
    /// `plugins list [--json]`, of the plugins `config` configures.
    pub(super) fn plugins_list(
        &self,
        config: Option<&Path>,
        json: bool,
        out: &mut dyn Write,
    ) -> Result<(), Failed> {
        let registry = self.registry(config)?;
        if json {
            let text = serde_json::to_string_pretty(&registry.plugins())
                .map_err(|e| Failed::usage(e.to_string()))?;
            written(writeln!(out, "{text}"))
        } else {
            written(table(&registry, self.linked.as_ref(), out))
        }
    }
}

/// The table of `plugins list`, also printed by `run` once the plugins started.
pub(super) fn table(
    registry: &Registry,
    linked: Option<&Linked>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let plugins = registry.plugins();
    let header = [
        "ID",
        "VERSION",
        "API",
        "CRATE",
        "SOURCE",
        "STATE",
        "DEPENDS ON",
    ];
    let rows: Vec<[String; 7]> = plugins
        .iter()
        .map(|p| {
            let deps = p
                .dependencies
                .iter()
                .map(|d| d.spec.clone())
                .collect::<Vec<_>>()
                .join(", ");
            [
                p.id.clone(),
                p.version.to_owned(),
                p.api.to_owned(),
                format!("{} {}", p.crate_name, p.crate_version),
                p.source.to_string(),
                p.state.to_string(),
                if deps.is_empty() {
                    "-".to_owned()
                } else {
                    deps
                },
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let line = |cells: &[&str]| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                s.push_str(cell);
            } else {
                s.push_str(&format!("{cell:<w$}  "));
            }
        }
        s
    };
    writeln!(out, "{}", line(&header))?;
    for row in &rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        writeln!(out, "{}", line(&cells))?;
    }
    let problems: Vec<_> = plugins.iter().filter(|p| p.failure.is_some()).collect();
    if !problems.is_empty() {
        writeln!(out)?;
        for p in problems {
            if let Some(f) = &p.failure {
                writeln!(out, "{}: {f}", p.id)?;
            }
        }
    }
    if let (true, Some(linked)) = (plugins.is_empty(), linked) {
        // An empty list is most often a plugin crate that is not a
        // dependency, or whose feature is off: say what was linked.
        let crates: Vec<&str> = linked.crates().collect();
        writeln!(
            out,
            "\nno plugins are compiled in: link_plugins!() of `{}` linked {}; \
             a plugin crate must be a dependency of `{}` (with its feature enabled)",
            linked.host(),
            if crates.is_empty() {
                "no crates".to_owned()
            } else {
                format!(
                    "{} crate(s), none with plugins: {}",
                    crates.len(),
                    crates.join(", ")
                )
            },
            linked.host()
        )?;
    }
    for p in plugins.iter().filter(|p| !p.notes.is_empty()) {
        for note in &p.notes {
            writeln!(out, "{}: note: {note}", p.id)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use pegboard_core::Linked;
    use pegboard_core::Registry;

    #[test]
    fn an_empty_list_says_what_link_plugins_linked() {
        let registry = Registry::builder()
            .descriptors(std::iter::empty())
            .build()
            .expect("an empty composition");
        let linked = Linked::__new("my-host", &[("store_memory", true), ("off", false)]);
        let mut out = Vec::new();
        super::table(&registry, Some(&linked), &mut out).expect("written");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(
            text.contains(
                "no plugins are compiled in: link_plugins!() of `my-host` linked 1 crate(s), none with plugins: store_memory"
            ),
            "{text}"
        );
    }
}
