//! [`HttpOptions`]: the admin token, the request body limit and whether
//! degraded plugins count as ready.

use std::fmt;

use crate::validate::config::EnvPrefix;

/// The environment variable [`HttpOptions::admin_token_from_env`] reads.
pub const ADMIN_TOKEN_VAR: &str = "PEGBOARD_ADMIN_TOKEN";

/// The default request body limit: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// How [`router`](super::router) (and [`guard`](super::guard)) behave: the
/// admin token that opens `GET /api/v1/plugins/status`, the largest
/// request body accepted, and whether `GET /readyz` counts degraded plugins
/// as ready.
///
/// The token is never shown by `Debug`.
///
/// ```
/// # extern crate pegboard_core as pegboard;
/// use pegboard::http::HttpOptions;
///
/// let options = HttpOptions::new()
///     .admin_token(Some("s3cret".into()))
///     .body_limit(64 * 1024);
/// assert!(options.has_admin_token());
/// assert_eq!(options.max_body_bytes(), 65_536);
/// assert!(!format!("{options:?}").contains("s3cret"));
///
/// // Degraded plugins make /readyz answer 503 unless told otherwise.
/// assert!(!options.is_ready_when_degraded());
/// assert!(options.ready_when_degraded(true).is_ready_when_degraded());
///
/// // An empty token is no token: the admin route stays off.
/// assert!(!HttpOptions::new().admin_token(Some(String::new())).has_admin_token());
/// ```
#[derive(Clone)]
pub struct HttpOptions {
    admin_token: Option<String>,
    body_limit: usize,
    ready_when_degraded: bool,
}

impl HttpOptions {
    /// No admin token (the admin route answers 404), a
    /// [1 MiB](DEFAULT_BODY_LIMIT) body limit, and degraded plugins not
    /// ready.
    pub fn new() -> Self {
        HttpOptions {
            admin_token: None,
            body_limit: DEFAULT_BODY_LIMIT,
            ready_when_degraded: false,
        }
    }

    /// The bearer token `GET /api/v1/plugins/status` requires, used
    /// verbatim. `None` or an empty string turns the route off.
    #[must_use]
    pub fn admin_token(mut self, token: Option<String>) -> Self {
        self.admin_token = token.filter(|t| !t.is_empty());
        self
    }

    /// The admin token from the environment variable
    /// [`PEGBOARD_ADMIN_TOKEN`](ADMIN_TOKEN_VAR) if it is set, valid Unicode
    /// and not empty, else `fallback` (typically the token from the config
    /// file; `None` or empty = no token). The environment is read once, here.
    #[must_use]
    pub fn admin_token_from_env(self, fallback: Option<String>) -> Self {
        self.admin_token_from_env_of(&EnvPrefix::PEGBOARD, fallback)
    }

    /// [`admin_token_from_env`](Self::admin_token_from_env) for a host whose
    /// variables start with `prefix`: the token from `<PREFIX>_ADMIN_TOKEN`;
    /// and `<PREFIX>_DIAGNOSTICS_ENABLED` = `false` (or `0`, `no`, `off`)
    /// turns the admin route off even with a token. Any value other than
    /// those and `true`, `1`, `yes`, `on` also turns it off (it is logged as
    /// `http.env.invalid`): an operator's typo never opens the endpoint.
    #[must_use]
    pub fn admin_token_from_env_of(self, prefix: &EnvPrefix, fallback: Option<String>) -> Self {
        let from_env = std::env::var(prefix.var("ADMIN_TOKEN")).ok();
        let options = self.admin_token(choose_token(from_env, fallback));
        let var = prefix.var("DIAGNOSTICS_ENABLED");
        match std::env::var(&var).ok().map(|v| parse_switch(&v)) {
            None | Some(Some(true)) => options,
            Some(Some(false)) => options.admin_token(None),
            Some(None) => {
                tracing::event!(
                    name: "http.env.invalid",
                    target: "pegboard::http",
                    tracing::Level::WARN,
                    variable = var.as_str(),
                    error = "expected true or false (1/0, yes/no, on/off): the admin route is off",
                    "http.env.invalid"
                );
                options.admin_token(None)
            }
        }
    }

    /// The largest request body accepted, in bytes; larger ones get
    /// `413 Payload Too Large`.
    #[must_use]
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Whether `GET /readyz` counts a `degraded` plugin (started, but its
    /// last health check said degraded, or unhealthy fewer times in a row
    /// than its `unhealthy_threshold`; a remote plugin missing heartbeats,
    /// say) as ready. Default `false`: a degraded plugin makes `/readyz`
    /// answer `503 {"status":"not_ready",...}` with `false` for it, so a
    /// load balancer sends traffic elsewhere. `true` keeps the instance in
    /// rotation while a plugin is degraded (it can still be called).
    #[must_use]
    pub fn ready_when_degraded(mut self, ready: bool) -> Self {
        self.ready_when_degraded = ready;
        self
    }

    /// Whether degraded plugins count as ready (see
    /// [`ready_when_degraded`](Self::ready_when_degraded)).
    pub fn is_ready_when_degraded(&self) -> bool {
        self.ready_when_degraded
    }

    /// Whether an admin token is configured (the admin route is on).
    pub fn has_admin_token(&self) -> bool {
        self.admin_token.is_some()
    }

    /// The request body limit in bytes.
    pub fn max_body_bytes(&self) -> usize {
        self.body_limit
    }

    pub(super) fn token(&self) -> Option<&str> {
        self.admin_token.as_deref()
    }
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for HttpOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpOptions")
            .field(
                "admin_token",
                &self.admin_token.as_ref().map(|_| "<redacted>"),
            )
            .field("body_limit", &self.body_limit)
            .field("ready_when_degraded", &self.ready_when_degraded)
            .finish()
    }
}

/// `true`/`false` and their usual spellings, case-insensitively.
fn parse_switch(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// The environment's token when it is non-empty, else the fallback.
fn choose_token(from_env: Option<String>, fallback: Option<String>) -> Option<String> {
    from_env.filter(|t| !t.is_empty()).or(fallback)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_options_default_to_no_token_and_one_mebibyte() {
        let options = HttpOptions::new();
        assert!(!options.has_admin_token());
        assert_eq!(options.max_body_bytes(), 1024 * 1024);
        assert_eq!(options.token(), None);
        assert!(!options.is_ready_when_degraded());
        assert_eq!(
            format!("{:?}", HttpOptions::default()),
            format!("{options:?}")
        );
    }

    #[test]
    fn http_options_treat_an_empty_token_as_none() {
        assert_eq!(
            HttpOptions::new().admin_token(Some(String::new())).token(),
            None
        );
        assert_eq!(HttpOptions::new().admin_token(None).token(), None);
        let options = HttpOptions::new().admin_token(Some("t".into()));
        assert_eq!(options.token(), Some("t"));
        // Setting None afterwards turns it off again.
        assert_eq!(options.admin_token(None).token(), None);
    }

    #[test]
    fn http_options_prefer_a_non_empty_env_token() {
        let s = |v: &str| Some(v.to_owned());
        assert_eq!(choose_token(s("env"), s("file")), s("env"));
        assert_eq!(choose_token(s(""), s("file")), s("file"));
        assert_eq!(choose_token(None, s("file")), s("file"));
        assert_eq!(choose_token(None, None), None);
        assert_eq!(choose_token(s(""), None), None);
        // An empty fallback is no token at all.
        assert_eq!(
            HttpOptions::new()
                .admin_token(choose_token(None, s("")))
                .token(),
            None
        );
    }

    #[test]
    fn diagnostics_switches_read_the_usual_spellings_and_nothing_else() {
        for on in ["true", "TRUE", "1", "yes", " on "] {
            assert_eq!(parse_switch(on), Some(true), "{on}");
        }
        for off in ["false", "False", "0", "no", "off"] {
            assert_eq!(parse_switch(off), Some(false), "{off}");
        }
        for bad in ["", "flase", "2", "disabled"] {
            assert_eq!(parse_switch(bad), None, "{bad}");
        }
    }

    #[test]
    fn http_options_debug_redacts_the_token() {
        let options = HttpOptions::new().admin_token(Some("hunter2".into()));
        let debug = format!("{options:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("<redacted>"), "{debug}");
    }
}
