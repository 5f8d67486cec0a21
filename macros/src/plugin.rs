//! `#[pegboard::plugin(...)]`.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Item, LitStr};

use crate::args::{self, Arg};
use crate::dependency;

const KEYS: &[&str] = &[
    "name",
    "version",
    "api",
    "kind",
    "description",
    "depends_on",
    "config",
    "capabilities",
    "new",
    "lifecycle",
];

pub fn expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let parsed = args::parse(attr, KEYS, "#[pegboard::plugin(...)]")?;
    let item: Item = syn::parse2(item)?;
    let Item::Struct(item) = item else {
        return Err(syn::Error::new(
            item_span(&item),
            "#[pegboard::plugin] goes on a struct: `#[pegboard::plugin(...)] pub struct MyPlugin;`",
        ));
    };
    if !item.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &item.generics,
            "a plugin struct cannot be generic: each plugin is one concrete type",
        ));
    }
    let get = |key: &str| parsed.iter().find(|a| a.key == key);
    let short_api = {
        let mut parts = pegboard_api::API_VERSION.split('.');
        format!(
            "\"{}.{}\"",
            parts.next().unwrap_or("0"),
            parts.next().unwrap_or("1")
        )
    };
    let required = [
        ("name", "\"my-plugin\"".to_owned()),
        ("version", "\"0.1.0\"".to_owned()),
        ("api", short_api),
        ("kind", "MyKindTrait".to_owned()),
    ];
    let missing: Vec<&(&str, String)> = required.iter().filter(|(k, _)| get(k).is_none()).collect();
    if !missing.is_empty() {
        return Err(args::missing(&missing, Span::call_site()));
    }
    let arg = |key: &str| get(key).ok_or_else(|| args::missing(&[], Span::call_site()));

    let name_lit = args::lit_str(arg("name")?)?;
    let name = args::check_name(&name_lit, "plugin name")?;

    let version_lit = args::lit_str(arg("version")?)?;
    if let Err(e) = semver::Version::parse(&version_lit.value()) {
        return Err(syn::Error::new(
            version_lit.span(),
            format!(
                "invalid plugin version `{}`: {e} (expected semver, e.g. \"1.2.3\")",
                version_lit.value()
            ),
        ));
    }

    let api_lit = args::lit_str(arg("api")?)?;
    check_api(&api_lit)?;

    let kind_arg = arg("kind")?;
    let kind = args::path(kind_arg)?;

    let description = match get("description") {
        Some(arg) => args::lit_str(arg)?.value(),
        None => args::doc_summary(&item.attrs),
    };

    let deps = match get("depends_on") {
        Some(arg) => parse_deps(arg, &name)?,
        None => Vec::new(),
    };

    let capabilities = match get("capabilities") {
        Some(arg) => {
            let lits = args::lit_str_array(arg)?;
            for lit in &lits {
                args::check_name(lit, "capability")?;
            }
            lits.into_iter().map(|l| l.value()).collect()
        }
        None => Vec::new(),
    };

    // `lifecycle` is optional: an `impl Lifecycle` is found without it. Given,
    // it asserts the impl exists, so a missing one is an error at the key.
    let lifecycle = get("lifecycle")
        .map(args::flag)
        .transpose()?
        .unwrap_or(false);
    let config = get("config").map(args::path).transpose()?;
    let new = get("new").map(args::path).transpose()?;

    let ident = &item.ident;
    let kind_span = kind.span();
    let dyn_kind = quote_spanned!(kind_span=> dyn #kind);

    let config_spec = match &config {
        Some(ty) => {
            let span = ty.span();
            quote_spanned!(span=> ::core::option::Option::Some(::pegboard::__private::config_spec::<#ty>()))
        }
        None => quote!(::core::option::Option::None),
    };

    // The config value is deserialized through the descriptor's own spec, so a
    // config type that lacks a required trait is reported once, at `config = T`.
    let take_config = config.as_ref().map(|ty| {
        quote! {
            let config: #ty = ::pegboard::__private::take_config::<#ty>(&__PEGBOARD_DESCRIPTOR, config)?;
        }
    });
    let construct = match (&config, &new) {
        (Some(ty), Some(new)) => {
            let span = new.span();
            quote_spanned! {span=>
                #take_config
                let new: fn(#ty, &::pegboard::Context<'_>) -> _ = #new;
                let plugin: #ident = ::pegboard::__private::constructed(new(config, ctx))?;
            }
        }
        (None, Some(new)) => {
            let span = new.span();
            quote_spanned! {span=>
                let _ = config;
                let new: fn(&::pegboard::Context<'_>) -> _ = #new;
                let plugin: #ident = ::pegboard::__private::constructed(new(ctx))?;
            }
        }
        (Some(ty), None) => {
            let span = ty.span();
            quote_spanned! {span=>
                let _ = ctx;
                #take_config
                let plugin: #ident = ::pegboard::__private::from_config::<#ident, #ty>(config)?;
            }
        }
        (None, None) => quote! {
            let _ = (ctx, config);
            let plugin: #ident = ::pegboard::__private::default_plugin::<#ident>();
        },
    };

    let dep_exprs = deps.iter().map(|d| {
        let kind = match &d.kind {
            Some(k) => quote!(::core::option::Option::Some(#k)),
            None => quote!(::core::option::Option::None),
        };
        let (n, r, o) = (&d.name, &d.requirement, d.optional);
        quote! {
            ::pegboard::Dependency { kind: #kind, name: #n, requirement: #r, optional: #o }
        }
    });

    // `line!()` at the call site: the line of the `#[pegboard::plugin]` attribute.
    let line = quote!(::core::line!());
    let coerce = quote_spanned!(kind_span=> ::pegboard::Instance::new::<#dyn_kind>(plugin.clone()));
    let with_lifecycle = if lifecycle {
        let span = get("lifecycle").map_or(Span::call_site(), |a| a.key.span());
        quote_spanned!(span=> .with_lifecycle(::pegboard::__private::lifecycle_of::<#ident>(plugin)))
    } else {
        // Autoref specialisation: the probe's `hooks` is `Some` exactly when
        // the (concrete) plugin type implements `Lifecycle`, so hooks written
        // without the `lifecycle` key still run.
        quote! {
            .with_hooks({
                use ::pegboard::__private::{HasLifecycle as _, NoLifecycle as _};
                (&::pegboard::__private::LifecycleProbe::<#ident>::new()).hooks(plugin)
            })
        }
    };
    let self_checks = self_dependency_checks(&deps, &name, &dyn_kind);
    let api = api_lit.value();
    let version = version_lit.value();

    Ok(quote! {
        #item

        const _: () = {
            fn __pegboard_factory(
                ctx: &::pegboard::Context<'_>,
                config: ::pegboard::__private::Value,
            ) -> ::core::result::Result<::pegboard::Instance, ::pegboard::BoxError> {
                #construct
                let plugin = ::std::sync::Arc::new(plugin);
                ::core::result::Result::Ok(#coerce #with_lifecycle)
            }

            static __PEGBOARD_DESCRIPTOR: ::pegboard::PluginDescriptor =
                ::pegboard::PluginDescriptor::from_checked_parts(::pegboard::__private::DescriptorParts {
                    name: #name,
                    kind: <#dyn_kind as ::pegboard::Kind>::NAME,
                    kind_type: ::pegboard::__private::type_id_of::<#dyn_kind>,
                    version: #version,
                    api: #api,
                    description: #description,
                    crate_name: ::core::env!("CARGO_PKG_NAME"),
                    crate_version: ::core::env!("CARGO_PKG_VERSION"),
                    file: ::core::file!(),
                    line: #line,
                    dependencies: &[#(#dep_exprs),*],
                    capabilities: &[#(#capabilities),*],
                    config: #config_spec,
                    factory: __pegboard_factory,
                });

            ::pegboard::__register!(__PEGBOARD_DESCRIPTOR);

            #(#self_checks)*
        };
    })
}

fn item_span(item: &Item) -> Span {
    match item {
        Item::Enum(i) => i.enum_token.span,
        Item::Fn(i) => i.sig.fn_token.span,
        Item::Union(i) => i.union_token.span,
        Item::Trait(i) => i.trait_token.span,
        Item::Impl(i) => i.impl_token.span,
        Item::Type(i) => i.type_token.span,
        Item::Const(i) => i.const_token.span,
        Item::Static(i) => i.static_token.span,
        Item::Mod(i) => i.mod_token.span,
        other => other.span(),
    }
}

/// V2: the plugin's required API must be compatible with this pegboard's.
fn check_api(lit: &LitStr) -> syn::Result<()> {
    let required = pegboard_api::parse_api_version(&lit.value())
        .map_err(|e| syn::Error::new(lit.span(), format!("invalid `api`: {e}")))?;
    pegboard_api::check_compatible(&required, &pegboard_api::api_version()).map_err(|e| {
        syn::Error::new(
            lit.span(),
            format!(
                "incompatible `api`: this plugin {e}; build it against pegboard API {} or use a pegboard that provides API {required}",
                pegboard_api::API_VERSION
            ),
        )
    })
}

fn parse_deps(arg: &Arg, own_name: &str) -> syn::Result<Vec<dependency::Dep>> {
    let mut deps: Vec<dependency::Dep> = Vec::new();
    for lit in args::lit_str_array(arg)? {
        let dep = dependency::parse(&lit)?;
        // A bare name is surely this plugin. A `kind.name` with this name is
        // this plugin only if `kind` is its kind's `Kind::NAME`, which the
        // macro cannot see: `self_dependency_checks` compares it at compile time.
        if dep.kind.is_none() && dep.name == own_name {
            return Err(syn::Error::new(
                lit.span(),
                format!("plugin `{own_name}` cannot depend on itself"),
            ));
        }
        if let Some(first) = deps.iter().find(|d| d.target() == dep.target()) {
            return Err(syn::Error::new(
                lit.span(),
                format!(
                    "dependency `{}` is listed more than once (`{}` and `{}` name the same plugin)",
                    dep.target(),
                    first.text,
                    dep.text
                ),
            ));
        }
        deps.push(dep);
    }
    Ok(deps)
}

/// A `const` per `depends_on = ["kind.name"]` entry whose name is this
/// plugin's: it fails to compile, at that string, when `kind` is this
/// plugin's own kind (the kind's name is `Kind::NAME`, known only to rustc).
fn self_dependency_checks(
    deps: &[dependency::Dep],
    own_name: &str,
    dyn_kind: &TokenStream,
) -> Vec<TokenStream> {
    deps.iter()
        .filter(|d| d.name == own_name)
        .filter_map(|d| {
            let kind = d.kind.as_ref()?;
            let message = format!(
                "plugin `{own_name}` cannot depend on itself: `{kind}.{own_name}` is its own id"
            );
            let span = d.span;
            Some(quote_spanned! {span=>
                const _: () = if ::pegboard::__private::str_eq(<#dyn_kind as ::pegboard::Kind>::NAME, #kind) {
                    ::core::panic!(#message)
                };
            })
        })
        .collect()
}
