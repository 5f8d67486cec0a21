//! The command line's arguments, as clap parses them.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use super::logging::LogFormat;

#[derive(Parser)]
#[command(version, about = "Inspect and run a pegboard plugin composition")]
pub(super) struct Args {
    /// The configuration file (TOML). Without it, every plugin runs with its defaults.
    #[arg(long, short, global = true, value_name = "FILE")]
    pub(super) config: Option<PathBuf>,
    /// Address the host listens on (`run`; overrides the host's own config).
    #[arg(long, global = true, value_name = "ADDR")]
    pub(super) listen: Option<String>,
    /// Log format of `run`: `human` or `json` (the filter comes from `PEGBOARD_LOG`, default `info`).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Human)]
    pub(super) log_format: LogFormat,
    #[command(subcommand)]
    pub(super) command: Option<Command>,
}

#[derive(Subcommand)]
pub(super) enum Command {
    /// Start the plugins and supervise them until SIGINT/SIGTERM (the default command).
    Run {
        /// Refuse to start when any plugin's config section is invalid (or an
        /// override variable names no kind), as `[host] strict = true` does;
        /// without it such a plugin fails alone and the rest run.
        #[arg(long)]
        strict: bool,
    },
    /// Inspect the compiled-in plugins.
    #[command(subcommand)]
    Plugins(PluginsCommand),
    /// Check and generate configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Subcommand)]
pub(super) enum PluginsCommand {
    /// Every plugin: id, version, api, crate, source, state, dependencies.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The dependency graph, in start order.
    Graph {
        /// Print Graphviz DOT.
        #[arg(long)]
        dot: bool,
    },
}

#[derive(Subcommand)]
pub(super) enum ConfigCommand {
    /// Validate a config file: exit 0 when valid, 1 with every error otherwise.
    Check {
        /// The file to check.
        file: PathBuf,
    },
    /// Print one JSON Schema for the whole config file.
    Schema,
    /// Print a config file with every setting's default, under its description
    /// (the host's own sections commented out).
    Default,
}
