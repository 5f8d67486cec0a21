// A host that forgets `pegboard::link_plugins!(PLUGINS)` does not compile:
// the command line's entry points need the `Linked` value it declares.

fn main() -> std::process::ExitCode {
    pegboard::cli::main()
}
