//! `pegboard`: the reference host application.
//!
//! Every part of it is a plugin crate enabled by a cargo feature of this
//! crate; `link_plugins!` makes sure each enabled one is linked.

pegboard::link_plugins!();

fn main() -> std::process::ExitCode {
    pegboard::cli::main()
}

#[cfg(test)]
mod tests {
    #[test]
    fn composition_is_sound() {
        pegboard::testing::assert_composition_sound();
    }
}
