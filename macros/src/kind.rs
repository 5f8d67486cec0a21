//! `#[pegboard::kind]`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{ItemTrait, parse_quote};

use crate::args;

pub fn expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let parsed = args::parse(attr, &["name", "remote"], "#[pegboard::kind(...)]")?;
    let mut item: ItemTrait = syn::parse2(item).map_err(|e| {
        syn::Error::new(
            e.span(),
            "#[pegboard::kind] goes on a trait: `#[pegboard::kind] pub trait Store { ... }`",
        )
    })?;
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
        Some(arg) if args::flag(arg)? => crate::remote::expand(&item)?,
        _ => TokenStream::new(),
    };
    // After the remote checks, which refuse `async fn` as written.
    let dyn_methods = crate::async_methods::expand(&mut item)?;
    // Plugins are shared across threads behind `Arc<dyn Kind>`.
    item.supertraits.push(parse_quote!(::core::marker::Send));
    item.supertraits.push(parse_quote!(::core::marker::Sync));
    if item.colon_token.is_none() {
        item.colon_token = Some(Default::default());
    }
    let ident = &item.ident;
    Ok(quote! {
        #item

        impl ::pegboard::Kind for dyn #ident {
            const NAME: &'static str = #name;
        }

        #dyn_methods

        #remote
    })
}
