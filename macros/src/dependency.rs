//! Parsing `depends_on` entries: `name`, `kind.name`, `name@<semver req>`,
//! with a trailing `?` for optional.

use syn::LitStr;

use crate::args::is_valid_name;

/// One parsed entry.
pub struct Dep {
    /// As written.
    pub text: String,
    pub kind: Option<String>,
    pub name: String,
    pub requirement: String,
    pub optional: bool,
    /// Where it was written, for errors found after parsing.
    pub span: proc_macro2::Span,
}

impl Dep {
    /// The target, without requirement or `?`, for duplicate detection.
    pub fn target(&self) -> String {
        match &self.kind {
            Some(k) => format!("{k}.{}", self.name),
            None => self.name.clone(),
        }
    }
}

pub fn parse(lit: &LitStr) -> syn::Result<Dep> {
    let text = lit.value();
    let err = |msg: String| {
        syn::Error::new(
            lit.span(),
            format!(
                "invalid dependency `{text}`: {msg}{}",
                if msg.contains("requirement") {
                    ""
                } else {
                    " (expected `name` or `kind.name`, optionally followed by `@<semver requirement>` and a trailing `?` for optional)"
                }
            ),
        )
    };
    let (rest, optional) = match text.strip_suffix('?') {
        Some(r) => (r, true),
        None => (text.as_str(), false),
    };
    let (target, requirement) = match rest.split_once('@') {
        Some((t, r)) => {
            let r = r.trim();
            if r.is_empty() {
                return Err(err("the version requirement after `@` is empty".into()));
            }
            if let Err(e) = semver::VersionReq::parse(r) {
                return Err(err(format!(
                    "`{r}` is not a semver version requirement: {e}"
                )));
            }
            (t, r.to_owned())
        }
        None => (rest, String::new()),
    };
    let (kind, name) = match target.split_once('.') {
        Some((k, n)) => (Some(k), n),
        None => (None, target),
    };
    for part in kind.iter().chain(std::iter::once(&name)) {
        if !is_valid_name(part) {
            return Err(err(format!(
                "`{part}` is not a valid name: names must match [a-z0-9][a-z0-9_-]*"
            )));
        }
    }
    Ok(Dep {
        text: text.clone(),
        kind: kind.map(str::to_owned),
        name: name.to_owned(),
        requirement,
        optional,
        span: lit.span(),
    })
}
