//! `pegboard::link_plugins!()`: make every enabled plugin crate part of the link.
//!
//! A crate that a binary depends on but never names is not linked at all, so
//! its link-time registrations (`linkme` slice entries, `inventory`
//! constructors) silently vanish. This macro reads the calling crate's
//! `Cargo.toml` and emits `extern crate dep as _;` for each of its
//! `[dependencies]`, under `#[cfg(feature = ...)]` for the optional ones, so
//! enabling a plugin crate's feature is the only step needed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};

pub fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    if !input.is_empty() {
        return Err(syn::Error::new_spanned(
            input,
            "pegboard::link_plugins!() takes no arguments: it reads the crate's Cargo.toml",
        ));
    }
    let err = |msg: String| syn::Error::new(Span::call_site(), msg);
    let dir = std::env::var("CARGO_MANIFEST_DIR")
        .map_err(|_| err("CARGO_MANIFEST_DIR is not set: build with cargo".into()))?;
    let path = PathBuf::from(dir).join("Cargo.toml");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| err(format!("cannot read {}: {e}", path.display())))?;
    let manifest: toml::Table =
        toml::from_str(&text).map_err(|e| err(format!("cannot parse {}: {e}", path.display())))?;
    let own = manifest
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .map(|n| n.replace('-', "_"));

    let deps = manifest
        .get("dependencies")
        .and_then(|d| d.as_table())
        .cloned()
        .unwrap_or_default();
    let features = manifest
        .get("features")
        .and_then(|f| f.as_table())
        .cloned()
        .unwrap_or_default();
    let features: BTreeMap<String, Vec<String>> = features
        .into_iter()
        .map(|(k, v)| {
            let list = v
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            (k, list)
        })
        .collect();
    let uses_dep_syntax: BTreeSet<String> = features
        .values()
        .flatten()
        .filter_map(|f| f.strip_prefix("dep:").map(str::to_owned))
        .collect();

    let mut items = Vec::new();
    for (key, spec) in &deps {
        let extern_name = key.replace('-', "_");
        if Some(&extern_name) == own.as_ref() || extern_name == "pegboard" {
            continue;
        }
        let optional = spec
            .get("optional")
            .and_then(|o| o.as_bool())
            .unwrap_or(false);
        let ident = format_ident!("{}", extern_name);
        if !optional {
            items.push(quote!(extern crate #ident as _;));
            continue;
        }
        let mut enabling: BTreeSet<String> = BTreeSet::new();
        if !uses_dep_syntax.contains(key) {
            enabling.insert(key.clone());
        }
        for (feature, list) in &features {
            let direct = list.iter().any(|f| {
                f == &format!("dep:{key}")
                    || (!uses_dep_syntax.contains(key) && f == key)
                    || f.starts_with(&format!("{key}/"))
            });
            if direct {
                enabling.insert(feature.clone());
            }
        }
        // Features that enable an enabling feature enable the dependency too.
        loop {
            let before = enabling.len();
            for (feature, list) in &features {
                if list.iter().any(|f| enabling.contains(f)) {
                    enabling.insert(feature.clone());
                }
            }
            if enabling.len() == before {
                break;
            }
        }
        if enabling.is_empty() {
            continue;
        }
        let names = enabling.iter();
        items.push(quote! {
            #[cfg(any(#(feature = #names),*))]
            extern crate #ident as _;
        });
    }
    Ok(quote!(#(#items)*))
}
