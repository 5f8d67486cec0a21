// No plugin crate is named anywhere else: `link_plugins!()` alone links them.
pegboard::link_plugins!();

fn main() -> std::process::ExitCode {
    pegboard::cli::main()
}
