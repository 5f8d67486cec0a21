//! [`Linked`]: what `link_plugins!()` made part of the binary.

/// The proof that a crate's plugin dependencies are linked, made only by
/// [`link_plugins!`](crate::link_plugins).
///
/// A crate that a binary depends on but never names is not linked at all, and
/// its plugins vanish without a word. The command line's entry points
/// (`pegboard::cli::main` and `Cli::main`, feature `cli`) take a `Linked`,
/// and so can a host's own, so a host that forgets `link_plugins!()` does
/// not compile:
///
/// ```no_run
/// # extern crate pegboard_core as pegboard;
/// pegboard::link_plugins!(PLUGINS);
///
/// /// The host's own entry point, which needs its plugins linked.
/// fn serve(plugins: pegboard::Linked) {
///     println!("serving the plugins of {}", plugins.host());
/// }
///
/// fn main() {
///     serve(PLUGINS)
/// }
/// ```
///
/// It also says which crates were linked, for reports.
#[derive(Debug, Clone, Copy)]
pub struct Linked {
    host: &'static str,
    crates: &'static [(&'static str, bool)],
}

impl Linked {
    /// Made by `link_plugins!()`: the host package and each dependency it
    /// names, with whether its `cfg` (features, target, test) holds.
    #[doc(hidden)]
    pub const fn __new(host: &'static str, crates: &'static [(&'static str, bool)]) -> Self {
        Linked { host, crates }
    }

    /// The package whose `Cargo.toml` `link_plugins!()` read.
    ///
    /// ```
    /// # extern crate pegboard_core as pegboard;
    /// pegboard::link_plugins!(PLUGINS);
    /// # fn main() {
    /// assert_eq!(PLUGINS.host(), env!("CARGO_PKG_NAME"));
    /// # }
    /// ```
    pub const fn host(&self) -> &'static str {
        self.host
    }

    /// The crates linked into this build (as named in code: `-` becomes
    /// `_`), in the manifest's order; dependencies whose feature or target
    /// is off are left out.
    pub fn crates(&self) -> impl Iterator<Item = &'static str> + use<> {
        self.crates
            .iter()
            .filter(|(_, enabled)| *enabled)
            .map(|(name, _)| *name)
    }
}
