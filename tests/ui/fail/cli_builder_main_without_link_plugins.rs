// The same with the builder: `Cli::main` needs what `link_plugins!(PLUGINS)` declares.

fn main() -> std::process::ExitCode {
    pegboard::cli::Cli::new("my-host").main()
}
