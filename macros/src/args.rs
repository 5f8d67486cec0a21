//! Parsing `key = value, ...` attribute arguments.

use proc_macro2::{Span, TokenStream};
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, Lit, LitStr, Token};

/// Keys that may stand alone, meaning `key = true`.
const FLAGS: &[&str] = &["lifecycle", "remote"];

/// One `key = value` pair.
pub struct Arg {
    pub key: Ident,
    pub value: Expr,
}

impl Parse for Arg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let key: Ident = input.call(syn::ext::IdentExt::parse_any)?;
        if !input.peek(Token![=]) {
            if FLAGS.contains(&key.to_string().as_str())
                && (input.is_empty() || input.peek(Token![,]))
            {
                let value = syn::parse_quote_spanned!(key.span()=> true);
                return Ok(Arg { key, value });
            }
            return Err(syn::Error::new(
                key.span(),
                format!("expected `{key} = ...`"),
            ));
        }
        input.parse::<Token![=]>()?;
        let value: Expr = input.parse()?;
        Ok(Arg { key, value })
    }
}

/// Parses the arguments, rejecting unknown and repeated keys.
pub fn parse(args: TokenStream, known: &[&str], what: &str) -> syn::Result<Vec<Arg>> {
    let parsed = Punctuated::<Arg, Token![,]>::parse_terminated.parse2(args)?;
    let mut seen: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for arg in parsed {
        let key = arg.key.to_string();
        if !known.contains(&key.as_str()) {
            let hint = closest(&key, known)
                .map(|k| format!("; did you mean `{k}`?"))
                .unwrap_or_default();
            let expected = match known {
                [only] => format!("the only key is `{only}`"),
                _ => format!(
                    "expected one of {}",
                    known
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            let hint = if known.len() == 1 {
                String::new()
            } else {
                hint
            };
            return Err(syn::Error::new(
                arg.key.span(),
                format!("unknown key `{key}` in {what}: {expected}{hint}"),
            ));
        }
        if seen.contains(&key) {
            return Err(syn::Error::new(
                arg.key.span(),
                format!("`{key}` is given more than once"),
            ));
        }
        seen.push(key);
        out.push(arg);
    }
    Ok(out)
}

fn closest<'a>(input: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (edit_distance(input, k), *k))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// `e` without the invisible groups `macro_rules!` wraps around `$x:literal`
/// and `$x:expr` fragments, so plugins can be declared from declarative macros.
fn ungroup(mut e: &Expr) -> &Expr {
    while let Expr::Group(g) = e {
        e = &g.expr;
    }
    e
}

/// The value as a string literal.
pub fn lit_str(arg: &Arg) -> syn::Result<LitStr> {
    match ungroup(&arg.value) {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Str(s), ..
        }) => Ok(s.clone()),
        other => Err(syn::Error::new_spanned(
            other,
            format!(
                "`{}` must be a string literal, e.g. `{} = \"...\"`",
                arg.key, arg.key
            ),
        )),
    }
}

/// The value as an array of string literals.
pub fn lit_str_array(arg: &Arg) -> syn::Result<Vec<LitStr>> {
    let err = |span| {
        syn::Error::new(
            span,
            format!(
                "`{}` must be an array of string literals, e.g. `{} = [\"...\"]`",
                arg.key, arg.key
            ),
        )
    };
    let Expr::Array(array) = ungroup(&arg.value) else {
        return Err(err(syn::spanned::Spanned::span(&arg.value)));
    };
    array
        .elems
        .iter()
        .map(|e| match ungroup(e) {
            Expr::Lit(syn::ExprLit {
                lit: Lit::Str(s), ..
            }) => Ok(s.clone()),
            other => Err(err(syn::spanned::Spanned::span(other))),
        })
        .collect()
}

/// The value as a boolean (`key`, `key = true`, `key = false`).
pub fn flag(arg: &Arg) -> syn::Result<bool> {
    match ungroup(&arg.value) {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Bool(b), ..
        }) => Ok(b.value),
        other => Err(syn::Error::new_spanned(
            other,
            format!(
                "`{}` is a flag: write `{}` or `{} = false`",
                arg.key, arg.key, arg.key
            ),
        )),
    }
}

/// The value as a path (a type, a trait or a function).
pub fn path(arg: &Arg) -> syn::Result<syn::Path> {
    match ungroup(&arg.value) {
        Expr::Path(p) if p.qself.is_none() => Ok(p.path.clone()),
        other => Err(syn::Error::new_spanned(
            other,
            format!("`{}` must be a path, e.g. `{} = MyType`", arg.key, arg.key),
        )),
    }
}

/// Whether `name` matches `[a-z0-9][a-z0-9_-]*`.
pub fn is_valid_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z' | b'0'..=b'9'))
        && bytes.all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-'))
}

/// Checks a name literal.
pub fn check_name(lit: &LitStr, what: &str) -> syn::Result<String> {
    let name = lit.value();
    if is_valid_name(&name) {
        Ok(name)
    } else {
        Err(syn::Error::new(
            lit.span(),
            format!(
                "invalid {what} `{name}`: names must match [a-z0-9][a-z0-9_-]* (lowercase letters, digits, `_` and `-`, starting with a letter or digit)"
            ),
        ))
    }
}

/// `CamelCase` → `camel_case`.
pub fn snake_case(ident: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = ident.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev_lower =
                i > 0 && (chars[i - 1].is_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if i > 0 && (prev_lower || (next_lower && chars[i - 1].is_uppercase())) {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(*c);
        }
    }
    out
}

/// The first paragraph of the doc comments in `attrs`.
pub fn doc_summary(attrs: &[syn::Attribute]) -> String {
    let mut lines = Vec::new();
    for attr in attrs {
        if !attr.path().is_ident("doc") {
            continue;
        }
        if let syn::Meta::NameValue(nv) = &attr.meta {
            if let Expr::Lit(syn::ExprLit {
                lit: Lit::Str(s), ..
            }) = &nv.value
            {
                let line = s.value().trim().to_owned();
                if line.is_empty() {
                    if !lines.is_empty() {
                        break;
                    }
                } else {
                    lines.push(line);
                }
            }
        }
    }
    lines.join(" ")
}

/// An error at the attribute itself, naming every missing key.
pub fn missing(keys: &[&(&str, String)], span: Span) -> syn::Error {
    let names: Vec<String> = keys.iter().map(|(k, _)| format!("`{k}`")).collect();
    let examples: Vec<String> = keys.iter().map(|(k, e)| format!("{k} = {e}")).collect();
    syn::Error::new(
        span,
        format!(
            "missing {}: add `{}` to #[pegboard::plugin(...)]",
            names.join(", "),
            examples.join(", ")
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_of_trait_names() {
        assert_eq!(snake_case("Store"), "store");
        assert_eq!(snake_case("HttpRoutes"), "http_routes");
        assert_eq!(snake_case("HTTPRoutes"), "http_routes");
        assert_eq!(snake_case("Classifier2"), "classifier2");
    }
}
