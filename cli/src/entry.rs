//! The entry points of a [`Cli`]: `main`, given what `link_plugins!()`
//! linked, and `run`, given the arguments; both parse them and hand them to
//! the subcommand's handler.

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use pegboard_core::Linked;

use super::args::{Args, Command, ConfigCommand, PluginsCommand};
use super::builder::Cli;
use super::failed::{Failed, USAGE};

impl Cli {
    /// Parses the process arguments, runs, and returns the exit code.
    ///
    /// `plugins` comes from `pegboard::link_plugins!(PLUGINS)` at the root of
    /// the binary, which links every enabled plugin crate: requiring it makes
    /// a forgotten `link_plugins!()` a compile error rather than a host that
    /// runs with no plugins.
    pub fn main(mut self, plugins: Linked) -> ExitCode {
        self.linked = Some(plugins);
        let code = self.run(
            std::env::args_os(),
            &mut std::io::stdout(),
            &mut std::io::stderr(),
        );
        ExitCode::from(code)
    }

    /// Runs with the given arguments (the first is the program name),
    /// writing to `out` and `err`; returns the exit code.
    pub fn run<I, T>(&self, args: I, out: &mut dyn Write, err: &mut dyn Write) -> u8
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let args = match Args::try_parse_from(args) {
            Ok(a) => a,
            Err(e) => {
                let code = if e.use_stderr() { USAGE } else { 0 };
                let text = e.render().to_string();
                let _ = if e.use_stderr() {
                    err.write_all(text.as_bytes())
                } else {
                    out.write_all(text.as_bytes())
                };
                return code;
            }
        };
        match self.dispatch(args, out) {
            Ok(()) => 0,
            Err(Failed { code, message }) => {
                let _ = writeln!(err, "{}: {message}", self.name);
                code
            }
        }
    }

    fn dispatch(&self, args: Args, out: &mut dyn Write) -> Result<(), Failed> {
        if let Err(e) = &self.env_prefix {
            return Err(Failed::usage(format!("Cli::env_prefix: {e}")));
        }
        let config = args.config.as_deref();
        match args.command.unwrap_or(Command::Run { strict: false }) {
            Command::Run { strict } => {
                self.run_plugins(config, strict, args.listen, args.log_format, out)
            }
            Command::Plugins(PluginsCommand::List { json }) => self.plugins_list(config, json, out),
            Command::Plugins(PluginsCommand::Graph { dot }) => self.plugins_graph(config, dot, out),
            Command::Config(ConfigCommand::Check { file }) => self.config_check(&file, out),
            Command::Config(ConfigCommand::Schema) => self.config_schema(out),
            Command::Config(ConfigCommand::Default) => self.config_default(out),
        }
    }
}
