//! `#[pegboard::kind]`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{ItemTrait, parse_quote};

use crate::args;

/// The trait, `Send + Sync`, with its `Kind` impl, what `dyn` callers of
/// its `async fn`s need and, for a remote kind, its client stub. On an
/// error, the error, the trait and its `Kind` impl are emitted still, as
/// serde's derives keep their item: without them, the imports only the
/// trait uses would be reported unused, and every use of the kind would
/// fail too. The impl is left out where it would add an error of its own:
/// for a generic trait (`dyn Trait` lacks its parameters), and for a remote
/// kind whose stub cannot be made (what stops the stub, such as generic
/// methods or associated types, mostly makes `dyn Trait` invalid as well).
pub fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let parsed = args::parse(attr, &["name", "remote"], "#[pegboard::kind(...)]");
    let mut item: ItemTrait = match syn::parse2(item.clone()) {
        Ok(item) => item,
        Err(e) => {
            let error = parsed.err().unwrap_or_else(|| {
                syn::Error::new(
                    e.span(),
                    "#[pegboard::kind] goes on a trait: `#[pegboard::kind] pub trait Store { ... }`",
                )
            });
            let mut out = error.into_compile_error();
            out.extend(item);
            return out;
        }
    };
    let checked = parsed.and_then(|parsed| check(&parsed, &item));
    let (name, mut extra, dyn_ok) = match checked {
        Ok((name, Ok(remote))) => (name, remote, true),
        Ok((name, Err(error))) => (name, error.into_compile_error(), false),
        // Any name will do: the build fails anyway.
        Err(error) => (
            args::snake_case(&item.ident.to_string()),
            error.into_compile_error(),
            true,
        ),
    };
    let dyn_ok = dyn_ok && item.generics.params.is_empty();
    // After the remote checks, which refuse `async fn` as written (and
    // skipped when they failed, not to report the same methods twice).
    // Even when it fails it leaves every `async fn` off `dyn`, so the
    // `Kind` impl below adds no error.
    if dyn_ok {
        match crate::async_methods::expand(&mut item) {
            Ok(dyn_methods) => extra.extend(dyn_methods),
            Err(error) => extra.extend(error.into_compile_error()),
        }
    }
    // Plugins are shared across threads behind `Arc<dyn Kind>`.
    item.supertraits.push(parse_quote!(::core::marker::Send));
    item.supertraits.push(parse_quote!(::core::marker::Sync));
    if item.colon_token.is_none() {
        item.colon_token = Some(Default::default());
    }
    let ident = &item.ident;
    let kind_impl = dyn_ok.then(|| {
        quote! {
            impl ::pegboard::Kind for dyn #ident {
                const NAME: &'static str = #name;
            }
        }
    });
    quote! {
        #item

        #kind_impl

        #extra
    }
}

/// The kind's name and, for a remote kind, its client stub (or why it
/// cannot be made).
fn check(
    parsed: &[args::Arg],
    item: &ItemTrait,
) -> syn::Result<(String, syn::Result<TokenStream>)> {
    if !item.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &item.generics,
            "a plugin kind cannot be generic: the registry hands out `Arc<dyn Kind>`",
        ));
    }
    let name = match parsed.iter().find(|a| a.key == "name") {
        Some(arg) => args::check_name(&args::lit_str(arg)?, "kind name")?,
        None => args::snake_case(&item.ident.to_string()),
    };
    if !args::is_valid_name(&name) {
        return Err(syn::Error::new(
            item.ident.span(),
            format!(
                "the kind name derived from `{}` is `{name}`, which is not a valid name; give one with #[pegboard::kind(name = \"...\")]",
                item.ident
            ),
        ));
    }
    let remote = match parsed.iter().find(|a| a.key == "remote") {
        Some(arg) if args::flag(arg)? => crate::remote::expand(item),
        _ => Ok(TokenStream::new()),
    };
    Ok((name, remote))
}
