//! `plugins graph`: the dependency graph as text or Graphviz DOT.

use std::io::{self, Write};
use std::path::Path;

use pegboard_core::PluginState;
use pegboard_core::Registry;

use super::builder::Cli;
use super::failed::{Failed, written};

impl Cli {
    /// `plugins graph [--dot]`, of the plugins `config` configures.
    pub(super) fn plugins_graph(
        &self,
        config: Option<&Path>,
        dot: bool,
        out: &mut dyn Write,
    ) -> Result<(), Failed> {
        let registry = self.registry(config)?;
        if dot {
            written(self::dot(&registry, out))
        } else {
            written(text(&registry, out))
        }
    }
}

/// Start levels, then every edge, then what cannot start.
fn text(registry: &Registry, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "start order:")?;
    for (level, ids) in registry.levels().iter().enumerate() {
        writeln!(out, "  level {level}: {}", ids.join(", "))?;
    }
    let catalog = registry.catalog();
    let graph = registry.graph();
    writeln!(out, "dependencies:")?;
    let mut any = false;
    for (i, id) in catalog.ids().enumerate() {
        for (dep, optional) in graph.dependencies(i) {
            any = true;
            let opt = if optional { " (optional)" } else { "" };
            writeln!(out, "  {id} -> {}{opt}", catalog.id(dep))?;
        }
    }
    if !any {
        writeln!(out, "  (none)")?;
    }
    let not_starting: Vec<_> = registry
        .plugins()
        .into_iter()
        .filter(|p| p.failure.is_some())
        .collect();
    if !not_starting.is_empty() {
        writeln!(out, "not starting:")?;
        for p in not_starting {
            if let Some(f) = &p.failure {
                writeln!(out, "  {}: {f}", p.id)?;
            }
        }
    }
    Ok(())
}

/// A DOT digraph: an edge points from a plugin to what it depends on;
/// plugins that cannot start are filled by state.
fn dot(registry: &Registry, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "digraph pegboard {{")?;
    writeln!(out, "  rankdir=LR;")?;
    writeln!(out, "  node [shape=box, style=rounded];")?;
    for p in registry.plugins() {
        let color = match p.state {
            PluginState::Failed => "style=\"rounded,filled\", fillcolor=\"#f4a6a6\"",
            PluginState::Blocked => "style=\"rounded,filled\", fillcolor=\"#f6d58e\"",
            PluginState::Disabled => "style=\"rounded,dashed\"",
            _ => "",
        };
        let label = format!("{}\\n{} ({})", p.id, p.version, p.state);
        let sep = if color.is_empty() { "" } else { ", " };
        writeln!(
            out,
            "  {} [label={}{sep}{color}];",
            quote(&p.id),
            quote_raw(&label)
        )?;
    }
    let catalog = registry.catalog();
    let graph = registry.graph();
    for (i, id) in catalog.ids().enumerate() {
        for (dep, optional) in graph.dependencies(i) {
            let style = if optional { " [style=dashed]" } else { "" };
            writeln!(out, "  {} -> {}{style};", quote(id), quote(catalog.id(dep)))?;
        }
    }
    writeln!(out, "}}")
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Quotes a label whose `\n` escapes are meant for Graphviz.
fn quote_raw(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\\\""))
}
