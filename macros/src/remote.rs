//! `#[pegboard::kind(remote)]`: checks that every method of the kind can
//! travel as JSON over `pegboard.v1.Plugin/Invoke`, and generates
//! `impl pegboard::remote::RemoteKind for dyn Trait` (client stub and server
//! adapter).

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{
    FnArg, GenericArgument, Ident, ItemTrait, Pat, PathArguments, ReturnType, Signature, TraitItem,
    Type, TypeParamBound, parse_quote_spanned,
};

/// One argument of a remote method.
struct Arg {
    /// The name it gets in generated code.
    ident: Ident,
    /// The type as declared.
    ty: Type,
    /// What travels: `String` for `&str`, `Vec<T>` for `&[T]`, `T` for `&T`
    /// and for an owned `T`.
    owned: Type,
    /// Whether the method borrows it.
    by_ref: bool,
}

/// One method of a remote kind.
struct Method {
    sig: Signature,
    operation: String,
    args: Vec<Arg>,
    ok: Type,
    err: Type,
}

/// The `RemoteKind` impl for `dyn <item>`, or every reason it cannot be
/// made (all of them, so one build shows them all).
pub fn expand(item: &ItemTrait) -> syn::Result<TokenStream> {
    let kind = &item.ident;
    let mut errors: Option<syn::Error> = None;
    let mut push = |e: syn::Error| match &mut errors {
        Some(all) => all.combine(e),
        None => errors = Some(e),
    };
    for bound in &item.supertraits {
        if !is_auto_bound(bound) {
            push(syn::Error::new_spanned(
                bound,
                format!(
                    "remote kind `{kind}` cannot have this supertrait: its client stub implements only `{kind}` (and is `Send + Sync + 'static`)"
                ),
            ));
        }
    }
    if let Some(w) = &item.generics.where_clause {
        // `where Self: Trait` is a supertrait in disguise.
        push(syn::Error::new_spanned(
            w,
            format!(
                "remote kind `{kind}` cannot have a `where` clause: its client stub implements only `{kind}`"
            ),
        ));
    }
    let mut methods = Vec::new();
    for trait_item in &item.items {
        match trait_item {
            TraitItem::Fn(f) => match method(kind, &f.sig) {
                Ok(m) => methods.push(m),
                Err(e) => push(e),
            },
            other => push(syn::Error::new_spanned(
                other,
                format!(
                    "remote kind `{kind}` can only have methods: its client stub could not provide this item"
                ),
            )),
        }
    }
    if let Some(e) = errors {
        return Err(e);
    }
    Ok(generate(kind, &methods))
}

/// `Send`, `Sync` or `'static`: what the stub has anyway.
fn is_auto_bound(bound: &TypeParamBound) -> bool {
    match bound {
        TypeParamBound::Lifetime(l) => l.ident == "static",
        TypeParamBound::Trait(t) => t
            .path
            .segments
            .last()
            .is_some_and(|s| (s.ident == "Send" || s.ident == "Sync") && s.arguments.is_none()),
        _ => false,
    }
}

fn method(kind: &Ident, sig: &Signature) -> syn::Result<Method> {
    let name = sig.ident.unraw().to_string();
    let fail = |span: &dyn ToTokens, why: &str| {
        syn::Error::new_spanned(
            span,
            format!("method `{name}` of remote kind `{kind}` cannot be remoted: {why}"),
        )
    };
    if let Some(t) = &sig.constness {
        return Err(fail(t, "it is `const`"));
    }
    if let Some(t) = &sig.asyncness {
        return Err(fail(
            t,
            "it is `async`; remote kind methods are synchronous (the stub blocks on the call)",
        ));
    }
    if let Some(t) = &sig.unsafety {
        return Err(fail(t, "it is `unsafe`"));
    }
    if let Some(t) = &sig.abi {
        return Err(fail(t, "it has an `extern` ABI"));
    }
    if let Some(t) = &sig.variadic {
        return Err(fail(t, "it is variadic"));
    }
    if !sig.generics.params.is_empty() {
        return Err(fail(
            &sig.generics,
            "it has generic or lifetime parameters; the stub needs concrete types to decode",
        ));
    }
    if let Some(w) = &sig.generics.where_clause {
        return Err(fail(
            w,
            "it has a `where` clause; the stub must implement it for `dyn` callers",
        ));
    }
    let mut inputs = sig.inputs.iter();
    match inputs.next() {
        Some(FnArg::Receiver(r)) if r.reference.is_some() && r.mutability.is_none() => {}
        Some(FnArg::Receiver(r)) => {
            return Err(fail(
                r,
                "it must take `&self`; a remote plugin is shared, and cannot be moved or borrowed mutably",
            ));
        }
        _ => {
            return Err(fail(
                &sig.ident,
                "it must take `&self`; the stub is called through `Arc<dyn Kind>`",
            ));
        }
    }
    let mut args = Vec::new();
    for (i, input) in inputs.enumerate() {
        let FnArg::Typed(typed) = input else {
            // A second receiver does not parse; nothing to add.
            continue;
        };
        let label = match &*typed.pat {
            Pat::Ident(p) => format!("argument `{}`", p.ident.unraw()),
            _ => format!("argument {}", i + 1),
        };
        let ty = (*typed.ty).clone();
        let (owned, by_ref) = match &ty {
            Type::Reference(r) => {
                if r.mutability.is_some() {
                    return Err(fail(
                        r,
                        &format!(
                            "{label} is `&mut`; the plugin's changes could not come back to the caller"
                        ),
                    ));
                }
                if let Some(l) = &r.lifetime {
                    return Err(fail(
                        l,
                        &format!(
                            "{label} has an explicit lifetime; the plugin side receives an owned copy, which cannot have it"
                        ),
                    ));
                }
                let span = r.span();
                let owned: Type = match &*r.elem {
                    Type::Path(p) if p.qself.is_none() && p.path.is_ident("str") => {
                        parse_quote_spanned!(span=> ::std::string::String)
                    }
                    Type::Slice(s) => {
                        let elem = &s.elem;
                        parse_quote_spanned!(span=> ::std::vec::Vec<#elem>)
                    }
                    elem => elem.clone(),
                };
                (owned, true)
            }
            _ => (ty.clone(), false),
        };
        check_owned(&owned, &|why| fail(&ty, &format!("{label} {why}")))?;
        args.push(Arg {
            ident: format_ident!("__pegboard_arg{}", i),
            ty,
            owned,
            by_ref,
        });
    }
    let returns = "it must return `Result<T, E>` (written with both parameters), so a failed call can be returned as `E`";
    let ReturnType::Type(_, ret) = &sig.output else {
        return Err(fail(&sig.ident, &format!("{returns}; it returns nothing")));
    };
    let (ok, err) = result_types(ret).ok_or_else(|| fail(ret, returns))?;
    check_owned(&ok, &|why| fail(&ok, &format!("its result type {why}")))?;
    check_owned(&err, &|why| fail(&err, &format!("its error type {why}")))?;
    Ok(Method {
        sig: sig.clone(),
        operation: name,
        args,
        ok,
        err,
    })
}

/// `T` and `E` of a type written `Result<T, E>` (any path ending so).
fn result_types(ty: &Type) -> Option<(Type, Type)> {
    let Type::Path(p) = ty else { return None };
    if p.qself.is_some() {
        return None;
    }
    let last = p.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let mut types = args.args.iter().map(|a| match a {
        GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    });
    match (types.next(), types.next(), types.next()) {
        (Some(Some(ok)), Some(Some(err)), None) => Some((ok, err)),
        _ => None,
    }
}

/// Refuses what cannot be decoded as an owned value on the other side:
/// `Self`, `impl Trait`, borrows and lifetimes.
fn check_owned(ty: &Type, fail: &dyn Fn(&str) -> syn::Error) -> syn::Result<()> {
    fn scan(tokens: TokenStream, fail: &dyn Fn(&str) -> syn::Error) -> syn::Result<()> {
        for tt in tokens {
            match tt {
                TokenTree::Ident(i) if i == "Self" => {
                    return Err(fail("mentions `Self`, which the other side cannot name"));
                }
                TokenTree::Ident(i) if i == "impl" => {
                    return Err(fail(
                        "uses `impl Trait`; the other side needs a concrete type to decode",
                    ));
                }
                // A lifetime is a `'` punct followed by an ident.
                TokenTree::Punct(p) if p.as_char() == '\'' => {
                    return Err(fail(
                        "has a lifetime; it travels as JSON and must be an owned type",
                    ));
                }
                TokenTree::Punct(p) if p.as_char() == '&' => {
                    return Err(fail(
                        "borrows (a `&` inside the type); it travels as JSON and must be an owned type",
                    ));
                }
                TokenTree::Group(g) => scan(g.stream(), fail)?,
                _ => {}
            }
        }
        Ok(())
    }
    scan(ty.to_token_stream(), fail)
}

fn generate(kind: &Ident, methods: &[Method]) -> TokenStream {
    let operations: Vec<&str> = methods.iter().map(|m| m.operation.as_str()).collect();
    // Bound checks, spanned at the user's types so a missing derive or
    // `From` impl points at the method that needs it.
    let checks = methods.iter().map(|m| {
        let args = m.args.iter().map(|a| {
            let owned = &a.owned;
            quote_spanned!(a.ty.span()=> ::pegboard::remote::__assert_value::<#owned>();)
        });
        let (ok, err) = (&m.ok, &m.err);
        let ok = quote_spanned!(ok.span()=> ::pegboard::remote::__assert_value::<#ok>(););
        let err = quote_spanned!(err.span()=> ::pegboard::remote::__assert_error::<#err>(););
        quote! { #(#args)* #ok #err }
    });
    let stub_methods = methods.iter().map(|m| {
        let Method {
            sig,
            operation,
            args,
            ..
        } = m;
        let (name, output) = (&sig.ident, &sig.output);
        let params = args.iter().map(|a| {
            let (ident, ty) = (&a.ident, &a.ty);
            quote!(#ident: #ty)
        });
        // Borrowed arguments serialize as their owned forms already.
        let sent = args.iter().map(|a| {
            let ident = &a.ident;
            if a.by_ref {
                quote!(#ident)
            } else {
                quote!(&#ident)
            }
        });
        quote! {
            fn #name(&self, #(#params),*) #output {
                ::pegboard::remote::Invoker::call(&self.0, #operation, &(#(#sent,)*))
            }
        }
    });
    let arms = methods.iter().map(|m| {
        let Method {
            sig,
            operation,
            args,
            ..
        } = m;
        let name = &sig.ident;
        let idents: Vec<_> = args.iter().map(|a| &a.ident).collect();
        let owned = args.iter().map(|a| &a.owned);
        let passed = args.iter().map(|a| {
            let ident = &a.ident;
            if a.by_ref {
                quote!(&#ident)
            } else {
                quote!(#ident)
            }
        });
        quote! {
            #operation => {
                let (#(#idents,)*): (#(#owned,)*) =
                    ::pegboard::remote::__decode_args(__kind, operation, request)?;
                // Fully qualified: nothing else named like the method can
                // be picked instead.
                let __result = <dyn #kind as #kind>::#name(plugin, #(#passed),*);
                ::pegboard::remote::__encode_result(__kind, operation, &__result)
            }
        }
    });
    let stub = format_ident!("__Pegboard{}RemoteStub", kind, span = Span::call_site());
    quote! {
        ::pegboard::__private::remote_kind! {
            const _: () = {
                #(#checks)*
            };

            impl ::pegboard::remote::RemoteKind for dyn #kind {
                const OPERATIONS: &'static [&'static str] = &[#(#operations),*];

                fn stub(invoker: ::pegboard::remote::Invoker) -> ::std::sync::Arc<Self> {
                    struct #stub(::pegboard::remote::Invoker);
                    impl #kind for #stub {
                        #(#stub_methods)*
                    }
                    ::std::sync::Arc::new(#stub(invoker))
                }

                fn serve(
                    plugin: &Self,
                    operation: &str,
                    request: &[u8],
                ) -> ::core::result::Result<::std::vec::Vec<u8>, ::pegboard::remote::InvokeError> {
                    let __kind = <Self as ::pegboard::Kind>::NAME;
                    match operation {
                        #(#arms)*
                        _ => ::pegboard::remote::__unknown_operation(
                            __kind,
                            operation,
                            <Self as ::pegboard::remote::RemoteKind>::OPERATIONS,
                        ),
                    }
                }
            }
        }
    }
}
