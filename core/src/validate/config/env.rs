//! The names of the environment override variables, and the variables as
//! the `apply_env` methods take them.

/// The prefix of environment override variables; see the [module docs](super).
pub const ENV_PREFIX: &str = "PEGBOARD__";

/// The prefix of the dispatch timeout variables `PEGBOARD_TIMEOUT_<KIND>_MS`;
/// see the [module docs](super).
pub const TIMEOUT_ENV_PREFIX: &str = "PEGBOARD_TIMEOUT_";

/// One environment variable, as accepted by the `apply_env` methods: a
/// `(name, value)` pair, owned (`std::env::vars()`) or borrowed (iterating a
/// `&Vec<(String, String)>`).
pub trait EnvPair {
    /// The variable's name.
    fn name(&self) -> &str;
    /// The variable's value.
    fn value(&self) -> &str;
}

impl<K: AsRef<str>, V: AsRef<str>> EnvPair for (K, V) {
    fn name(&self) -> &str {
        self.0.as_ref()
    }
    fn value(&self) -> &str {
        self.1.as_ref()
    }
}

impl<K: AsRef<str>, V: AsRef<str>> EnvPair for &(K, V) {
    fn name(&self) -> &str {
        self.0.as_ref()
    }
    fn value(&self) -> &str {
        self.1.as_ref()
    }
}

/// The environment variable that sets the dispatch timeout of `kind`:
/// `PEGBOARD_TIMEOUT_<KIND>_MS`, the kind upper-cased with `-` written as `_`.
///
/// ```
/// # extern crate pegboard_core as pegboard;
/// assert_eq!(pegboard::config::timeout_variable("store"), "PEGBOARD_TIMEOUT_STORE_MS");
/// assert_eq!(
///     pegboard::config::timeout_variable("text-filter"),
///     "PEGBOARD_TIMEOUT_TEXT_FILTER_MS"
/// );
/// ```
pub fn timeout_variable(kind: &str) -> String {
    format!(
        "{TIMEOUT_ENV_PREFIX}{}_MS",
        kind.to_uppercase().replace('-', "_")
    )
}
