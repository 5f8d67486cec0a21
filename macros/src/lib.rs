//! Proc macros for [pegboard](https://docs.rs/pegboard). Use them through the
//! `pegboard` crate (`#[pegboard::plugin]`, `#[pegboard::kind]`,
//! `pegboard::link_plugins!()`), which documents them.

mod args;
mod async_methods;
mod dependency;
mod kind;
mod link;
mod manifest;
mod plugin;
mod remote;

use proc_macro::TokenStream;

/// Declares a plugin kind: a trait whose implementors can be registered as
/// plugins. See `pegboard::kind`.
#[proc_macro_attribute]
pub fn kind(args: TokenStream, item: TokenStream) -> TokenStream {
    kind::expand(args.into(), item.into()).into()
}

/// Registers a struct as a plugin. See `pegboard::plugin`.
#[proc_macro_attribute]
pub fn plugin(args: TokenStream, item: TokenStream) -> TokenStream {
    let item = proc_macro2::TokenStream::from(item);
    plugin::expand(args.into(), item.clone())
        .unwrap_or_else(|error| {
            // The struct is kept, as serde's derives keep theirs: without
            // it, the imports only it uses are reported unused beside the
            // error.
            let mut out = error.into_compile_error();
            out.extend(item);
            out
        })
        .into()
}

/// Links every plugin crate that the calling crate depends on. See
/// `pegboard::link_plugins`.
#[proc_macro]
pub fn link_plugins(input: TokenStream) -> TokenStream {
    link::expand(input.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
