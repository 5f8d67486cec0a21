//! The pegboard plugin API version and the one rule that decides whether a
//! plugin built against some API version may run on this platform.
//!
//! This crate is tiny on purpose: the `#[pegboard::plugin]` macro checks the
//! rule at compile time and the `pegboard` runtime checks it again at run time
//! (for remote plugins, and as defence in depth), and both must use the *same*
//! function. A proc-macro crate cannot export ordinary items, so the rule lives
//! here and both depend on it. Application code should use the re-exports in
//! `pegboard` instead of depending on this crate directly.
//!
//! # The rule
//!
//! It is cargo's caret rule, applied to "the plugin requires API `r`, the
//! platform provides API `p`":
//!
//! * `r.major >= 1`: same major, and `r.minor <= p.minor`; patches are ignored.
//! * `r.major == 0`, `r.minor >= 1`: the minor acts as the major, so the
//!   minors must be equal; patches are ignored.
//! * `0.0.x`: every component acts as the major, so the versions must be equal.
//! * A pre-release (on either side) matches only the very same version.
//! * Build metadata is ignored everywhere.
//!
//! ```
//! use pegboard_api::{check_compatible, parse_api_version};
//!
//! let platform = parse_api_version("1.4.2").unwrap();
//! assert!(check_compatible(&parse_api_version("1.2").unwrap(), &platform).is_ok());
//! let err = check_compatible(&parse_api_version("1.5").unwrap(), &platform).unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "requires pegboard API 1.5.0, but this pegboard provides API 1.4.2 (the required minor is newer)"
//! );
//! ```
#![warn(missing_docs)]

use semver::Version;

/// The plugin API version this build of pegboard provides.
///
/// Plugins declare the API they were written against with `api = "..."`;
/// [`check_compatible`] decides whether they may run.
pub const API_VERSION: &str = "0.1.0";

/// [`API_VERSION`], parsed.
pub fn api_version() -> Version {
    // API_VERSION is a literal checked by this crate's tests.
    match Version::parse(API_VERSION) {
        Ok(v) => v,
        Err(_) => Version::new(0, 0, 0),
    }
}

/// Why an API version string could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{input}` is not a valid API version: {reason} (expected `MAJOR.MINOR` or a semver version such as `1.2.0`)"
)]
pub struct ApiParseError {
    /// The text that was given.
    pub input: String,
    /// What is wrong with it.
    pub reason: String,
}

/// Parses an API version: either a full semver version (`1.2.3`,
/// `1.0.0-beta.1`) or the short form `MAJOR.MINOR` (read as `MAJOR.MINOR.0`).
pub fn parse_api_version(input: &str) -> Result<Version, ApiParseError> {
    let err = |e: semver::Error| ApiParseError {
        input: input.to_owned(),
        reason: e.to_string(),
    };
    let is_short = {
        let mut parts = input.split('.');
        let two = parts.next().is_some() && parts.next().is_some() && parts.next().is_none();
        two && input.bytes().all(|b| b.is_ascii_digit() || b == b'.')
    };
    if is_short {
        Version::parse(&format!("{input}.0")).map_err(err)
    } else {
        Version::parse(input).map_err(err)
    }
}

/// Why a required API version is not compatible with the provided one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("requires pegboard API {required}, but this pegboard provides API {provided} ({reason})")]
pub struct Incompatible {
    /// The version the plugin was built against.
    pub required: Version,
    /// The version the platform provides.
    pub provided: Version,
    /// Which part of the rule failed.
    pub reason: IncompatibleReason,
}

/// Which part of the compatibility rule failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncompatibleReason {
    /// The major versions differ.
    Major,
    /// Both are `0.x` and their minors differ (for `0.x` the minor acts as the major).
    ZeroMinor,
    /// The plugin needs a newer minor version than the platform has.
    NewerMinor,
    /// `0.0.x` versions and pre-releases match only themselves.
    Exact,
}

impl std::fmt::Display for IncompatibleReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            IncompatibleReason::Major => "the major versions differ",
            IncompatibleReason::ZeroMinor => {
                "for 0.x versions the minor acts as the major, and the minors differ"
            }
            IncompatibleReason::NewerMinor => "the required minor is newer",
            IncompatibleReason::Exact => "this version matches only itself",
        })
    }
}

/// Checks that a plugin requiring API `required` may run on a platform that
/// provides API `provided`. See the [crate docs](crate) for the rule.
pub fn check_compatible(required: &Version, provided: &Version) -> Result<(), Incompatible> {
    let fail = |reason| {
        Err(Incompatible {
            required: required.clone(),
            provided: provided.clone(),
            reason,
        })
    };
    let same_triple = (required.major, required.minor, required.patch)
        == (provided.major, provided.minor, provided.patch);
    if !required.pre.is_empty() || !provided.pre.is_empty() {
        return if same_triple && required.pre == provided.pre {
            Ok(())
        } else {
            fail(IncompatibleReason::Exact)
        };
    }
    if required.major != provided.major {
        return fail(IncompatibleReason::Major);
    }
    if required.major > 0 {
        return if required.minor <= provided.minor {
            Ok(())
        } else {
            fail(IncompatibleReason::NewerMinor)
        };
    }
    if required.minor > 0 || provided.minor > 0 {
        return if required.minor == provided.minor {
            Ok(())
        } else if required.minor == 0 || provided.minor == 0 {
            // 0.0.x against 0.y: the 0.0.x side has no compatible siblings at all.
            fail(IncompatibleReason::Exact)
        } else {
            fail(IncompatibleReason::ZeroMinor)
        };
    }
    if same_triple {
        Ok(())
    } else {
        fail(IncompatibleReason::Exact)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        parse_api_version(s).unwrap()
    }

    #[test]
    fn api_version_constant_parses() {
        assert_eq!(Version::parse(API_VERSION).unwrap(), api_version());
    }

    #[test]
    fn compatibility_table() {
        use IncompatibleReason::*;
        // (required, provided, expected)
        let table: &[(&str, &str, Result<(), IncompatibleReason>)] = &[
            ("1.0.0", "1.0.0", Ok(())),
            ("1.0.0", "1.3.0", Ok(())),
            ("1.2.0", "1.3.7", Ok(())),
            ("1.3.9", "1.3.0", Ok(())), // patch ignored
            ("1.4.0", "1.3.0", Err(NewerMinor)),
            ("2.0.0", "1.9.0", Err(Major)),
            ("1.0.0", "2.0.0", Err(Major)),
            ("0.1.0", "0.1.0", Ok(())),
            ("0.1.0", "0.1.5", Ok(())),
            ("0.1.5", "0.1.0", Ok(())), // patch ignored for 0.x too
            ("0.1.0", "0.2.0", Err(ZeroMinor)), // 0.x: the minor is the major
            ("0.2.0", "0.1.0", Err(ZeroMinor)),
            ("0.0.3", "0.0.3", Ok(())),
            ("0.0.3", "0.0.4", Err(Exact)),
            ("0.0.3", "0.1.0", Err(Exact)),
            ("1.0.0-alpha.1", "1.0.0-alpha.1", Ok(())),
            ("1.0.0-alpha.1", "1.0.0-alpha.2", Err(Exact)),
            ("1.0.0-alpha.1", "1.0.0", Err(Exact)),
            ("1.0.0", "1.1.0-beta", Err(Exact)),
            ("1.0.0+build.5", "1.0.0", Ok(())), // build metadata ignored
            ("1.2", "1.2.9", Ok(())),
            ("1.2", "1.1.0", Err(NewerMinor)),
        ];
        for (required, provided, expected) in table {
            let got = check_compatible(&v(required), &v(provided)).map_err(|e| e.reason);
            assert_eq!(got, *expected, "required {required}, provided {provided}");
        }
    }

    #[test]
    fn parse_rejects_garbage_and_accepts_short_form() {
        assert_eq!(v("0.1"), Version::new(0, 1, 0));
        for bad in ["", "1", "one.two", "1.2.3.4", "1..2", "v1.2.0", "1.2.x"] {
            assert!(parse_api_version(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn error_names_both_versions() {
        let e = check_compatible(&v("2.0"), &v("1.4.0")).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("2.0.0") && text.contains("1.4.0"), "{text}");
    }
}
