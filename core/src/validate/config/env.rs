//! The names of the environment override variables, and the variables as
//! the `apply_env` methods take them.

use std::borrow::Cow;

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

/// The prefix of a host's environment variables, `PEGBOARD` unless the
/// application chooses its own (`RegistryBuilder::env_prefix`,
/// `Cli::env_prefix`): with `SIFT_PLUGIN`, the overrides are
/// `SIFT_PLUGIN__<SEG>__...`, the timeouts `SIFT_PLUGIN_TIMEOUT_<KIND>_MS`,
/// the admin token `SIFT_PLUGIN_ADMIN_TOKEN`, and no `PEGBOARD_` variable
/// is read.
///
/// ```
/// # extern crate pegboard_core as pegboard;
/// use pegboard::config::EnvPrefix;
///
/// let sift = EnvPrefix::new("SIFT_PLUGIN")?;
/// assert_eq!(sift.timeout_variable("classifier"), "SIFT_PLUGIN_TIMEOUT_CLASSIFIER_MS");
/// assert_eq!(sift.var("ADMIN_TOKEN"), "SIFT_PLUGIN_ADMIN_TOKEN");
/// assert!(sift.is_override_variable("SIFT_PLUGIN__SERVER__LISTEN"));
/// assert!(!sift.is_override_variable("PEGBOARD__SERVER__LISTEN"));
/// assert_eq!(EnvPrefix::default().as_str(), "PEGBOARD");
/// assert!(EnvPrefix::new("sift").is_err());
/// # Ok::<(), pegboard::config::InvalidEnvPrefix>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EnvPrefix(Cow<'static, str>);

/// A prefix that [`EnvPrefix::new`] refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` cannot prefix environment variables: use upper-case letters, digits and single \
     underscores, starting with a letter (e.g. `SIFT_PLUGIN`)"
)]
pub struct InvalidEnvPrefix(pub String);

impl Default for EnvPrefix {
    fn default() -> Self {
        EnvPrefix::PEGBOARD
    }
}

impl EnvPrefix {
    /// `PEGBOARD`, the default.
    pub const PEGBOARD: EnvPrefix = EnvPrefix(Cow::Borrowed("PEGBOARD"));

    /// A prefix of upper-case letters, digits and single underscores,
    /// starting with a letter and not ending with an underscore (so that
    /// `<PREFIX>__` and `<PREFIX>_TIMEOUT_` stay unambiguous).
    pub fn new(prefix: &str) -> Result<Self, InvalidEnvPrefix> {
        let valid = prefix.starts_with(|c: char| c.is_ascii_uppercase())
            && !prefix.ends_with('_')
            && !prefix.contains("__")
            && prefix
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if valid {
            Ok(EnvPrefix(Cow::Owned(prefix.to_owned())))
        } else {
            Err(InvalidEnvPrefix(prefix.to_owned()))
        }
    }

    /// The prefix itself, e.g. `PEGBOARD`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The variable `<PREFIX>_<name>`, e.g. `PEGBOARD_ADMIN_TOKEN`.
    pub fn var(&self, name: &str) -> String {
        format!("{}_{name}", self.0)
    }

    /// The start of the override variables, `<PREFIX>__`.
    pub fn overrides(&self) -> String {
        format!("{}__", self.0)
    }

    /// The start of the timeout variables, `<PREFIX>_TIMEOUT_`.
    pub fn timeouts(&self) -> String {
        self.var("TIMEOUT_")
    }

    /// The variable that sets the dispatch timeout of `kind`, as
    /// [`timeout_variable`] does for `PEGBOARD`.
    pub fn timeout_variable(&self, kind: &str) -> String {
        format!(
            "{}{}_MS",
            self.timeouts(),
            kind.to_uppercase().replace('-', "_")
        )
    }

    /// Whether the variable `name` can override configuration.
    pub fn is_override_variable(&self, name: &str) -> bool {
        name.strip_prefix(self.as_str())
            .is_some_and(|rest| rest.starts_with("__") || rest.starts_with("_TIMEOUT_"))
    }
}
