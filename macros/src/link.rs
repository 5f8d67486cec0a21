//! `pegboard::link_plugins!()`: make every enabled plugin crate part of the link.
//!
//! A crate that a binary depends on but never names is not linked at all, so
//! its link-time registrations (`linkme` slice entries, `inventory`
//! constructors) silently vanish. This macro reads the calling crate's
//! `Cargo.toml` and emits `extern crate dep as _;` for each dependency, under
//! the `cfg` that makes cargo pass it: the features that enable an optional
//! one, the `cfg(...)` of a `[target]` table, and `test` for
//! dev-dependencies of a library or binary (an example, test or bench target
//! always has them). In a binary it also emits a `#[cfg(test)]` check of the
//! composition, and with a name it declares the [`Linked`] value that the
//! command line's entry points require.

use std::collections::BTreeMap;
use std::path::PathBuf;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::parse::{Parse, ParseStream};
use syn::{Ident, Visibility};

use crate::manifest::{Dep, Manifest};

/// `link_plugins!()` or `link_plugins!([vis] NAME)`.
struct Input {
    linked: Option<(Visibility, Ident)>,
}

impl Parse for Input {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.is_empty() {
            return Ok(Input { linked: None });
        }
        let usage = "expected `pegboard::link_plugins!()` or `pegboard::link_plugins!(PLUGINS)`, \
                     which also declares `const PLUGINS: pegboard::Linked` for `pegboard::cli::main(PLUGINS)`";
        let vis: Visibility = input.parse()?;
        let name: Ident = input
            .parse()
            .map_err(|e| syn::Error::new(e.span(), usage))?;
        if !input.is_empty() {
            return Err(syn::Error::new(input.span(), usage));
        }
        Ok(Input {
            linked: Some((vis, name)),
        })
    }
}

/// What is being compiled, as cargo tells it through the environment.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TargetKind {
    Lib,
    Bin,
    /// Examples, integration tests and benches: cargo passes them the
    /// dev-dependencies whether or not they are built as tests.
    Auxiliary,
}

fn target_kind(manifest: &Manifest) -> TargetKind {
    // Set only for integration tests and benches.
    if std::env::var_os("CARGO_TARGET_TMPDIR").is_some() {
        return TargetKind::Auxiliary;
    }
    // Set for binaries and examples.
    match std::env::var("CARGO_BIN_NAME") {
        Ok(bin) if manifest.bins.contains(&bin) => TargetKind::Bin,
        Ok(_) => TargetKind::Auxiliary,
        Err(_) => TargetKind::Lib,
    }
}

pub fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let input: Input = syn::parse2(input)?;
    let err = |msg: String| syn::Error::new(Span::call_site(), msg);
    let dir = std::env::var("CARGO_MANIFEST_DIR")
        .map_err(|_| err("CARGO_MANIFEST_DIR is not set: build with cargo".into()))?;
    let manifest = Manifest::read(&PathBuf::from(dir)).map_err(err)?;
    let kind = target_kind(&manifest);
    let own = manifest.package.replace('-', "_");

    // One entry per crate: the `cfg`s under which cargo passes it (any of them).
    let mut crates: BTreeMap<String, Vec<Option<TokenStream>>> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for dep in &manifest.deps {
        if dep.extern_name == own || dep.extern_name == "pegboard" {
            continue;
        }
        let Some(gate) = gate(&manifest, dep, kind)? else {
            continue;
        };
        if !crates.contains_key(&dep.extern_name) {
            order.push(dep.extern_name.clone());
        }
        crates
            .entry(dep.extern_name.clone())
            .or_default()
            .push(gate);
    }
    // Tests, examples and binaries link the package's own library only if they name it.
    if let (Some(lib), true) = (&manifest.lib, kind != TargetKind::Lib) {
        if !crates.contains_key(lib) {
            order.push(lib.clone());
        }
        crates.insert(lib.clone(), vec![None]);
    }

    let mut items = Vec::new();
    let mut entries = Vec::new();
    for name in &order {
        let gates = &crates[name];
        let ident = format_ident!("{}", name);
        let condition = if gates.iter().any(Option::is_none) {
            None
        } else {
            let gates = gates.iter().flatten();
            Some(quote!(any(#(#gates),*)))
        };
        match &condition {
            None => {
                items.push(quote!(extern crate #ident as _;));
                entries.push(quote!((#name, true)));
            }
            Some(c) => {
                items.push(quote!(#[cfg(#c)] extern crate #ident as _;));
                entries.push(quote!((#name, ::core::cfg!(#c))));
            }
        }
    }

    // The app's own `cargo test` checks its composition, with no test
    // written by the app: duplicates, API, default configs, cycles, missing
    // dependencies.
    if kind == TargetKind::Bin {
        items.push(quote! {
            #[cfg(test)]
            mod __pegboard_link_plugins {
                /// Emitted by `pegboard::link_plugins!()`: the plugins this
                /// binary links form a sound composition.
                #[test]
                fn composition_is_sound() {
                    ::pegboard::testing::assert_composition_sound();
                }
            }
        });
    }

    if let Some((vis, name)) = &input.linked {
        let host = &manifest.package;
        items.push(quote! {
            /// The plugin crates `pegboard::link_plugins!()` linked into this
            /// build; `pegboard::cli::main` takes it as proof.
            #vis const #name: ::pegboard::Linked = ::pegboard::Linked::__new(#host, &[#(#entries),*]);
        });
    }
    Ok(quote!(#(#items)*))
}

/// The `cfg` predicate under which cargo passes `dep` to this target:
/// `Some(None)` always, `Some(Some(p))` under `p`, `None` never.
fn gate(
    manifest: &Manifest,
    dep: &Dep,
    kind: TargetKind,
) -> syn::Result<Option<Option<TokenStream>>> {
    let mut parts: Vec<TokenStream> = Vec::new();
    if let Some(target) = &dep.target {
        parts.push(target_predicate(target, dep)?);
    }
    if dep.optional {
        let features = manifest.enabling_features(dep);
        if features.is_empty() {
            return Ok(None);
        }
        parts.push(quote!(any(#(feature = #features),*)));
    }
    if dep.dev && kind != TargetKind::Auxiliary {
        parts.push(quote!(test));
    }
    Ok(match parts.as_slice() {
        [] => Some(None),
        [one] => Some(Some(one.clone())),
        _ => Some(Some(quote!(all(#(#parts),*)))),
    })
}

/// `cfg(unix)` → `unix`. A target triple has no `cfg` equivalent a macro
/// could write, so it is refused rather than linked under a guess.
fn target_predicate(target: &str, dep: &Dep) -> syn::Result<TokenStream> {
    let refuse = |why: &str| {
        syn::Error::new(
            Span::call_site(),
            format!(
                "pegboard::link_plugins!() cannot link `{}` from {}: {why}; \
                 write the table as `[target.'cfg(...)'.dependencies]` (e.g. `cfg(all(target_arch = \"x86_64\", target_os = \"linux\"))`), \
                 or name the crate yourself with `use {} as _;`",
                dep.key, dep.table, dep.extern_name
            ),
        )
    };
    let meta: syn::Meta = syn::parse_str(target)
        .map_err(|_| refuse("a target triple cannot be written as a `cfg`"))?;
    match meta {
        syn::Meta::List(list) if list.path.is_ident("cfg") => Ok(list.tokens),
        _ => Err(refuse("a target triple cannot be written as a `cfg`")),
    }
}
