//! `async fn` in `#[pegboard::kind]` traits (SPEC D10).
//!
//! A trait with an `async fn` is not dyn compatible, and the registry hands
//! out `Arc<dyn Kind>`. So each `async fn m(&self, ..) -> R` becomes
//! `fn m(&self, ..) -> impl Future<Output = R> + Send where Self: Sized`,
//! which plugins still implement with a plain `async fn` and which stays out
//! of the vtable. `dyn` callers get instead:
//!
//! - a hidden supertrait `__PegboardDyn<Kind>` whose `__pegboard_m` returns
//!   a `BoxFuture`, implemented for every `T: Kind` by boxing `T::m`; being
//!   object safe, it is in the vtable;
//! - `impl dyn Kind { fn m(self: &Arc<Self>, ..) }`, forwarding to it. The
//!   receiver is `&Arc<Self>` rather than `&self` because method lookup
//!   treats a trait object's own methods as inherent: on a `dyn Kind`
//!   receiver the trait's `m` and this one would be ambiguous, while an
//!   `Arc<dyn Kind>` receiver (what the registry and dispatch hand out)
//!   reaches this one a step earlier.
//!
//! Traits without `async fn` get none of this.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::visit_mut::{self, VisitMut};
use syn::{
    Attribute, FnArg, GenericParam, Ident, ItemTrait, Lifetime, LifetimeParam,
    ParenthesizedGenericArguments, Pat, ReturnType, TraitItem, TraitItemFn, Type, TypeBareFn,
    TypeReference, Visibility, WherePredicate, parse_quote, parse_quote_spanned,
};

/// One `async fn` of the kind, as the boxed and forwarding methods declare it.
struct Method {
    /// Its `#[cfg]`s, so the generated methods exist exactly when it does.
    cfgs: Vec<Attribute>,
    docs: Vec<Attribute>,
    ident: Ident,
    boxed: Ident,
    /// The user's lifetimes and one per elided input lifetime, each
    /// outliving the future's.
    lifetimes: Vec<LifetimeParam>,
    predicates: Vec<WherePredicate>,
    receiver: Lifetime,
    args: Vec<(Ident, Type)>,
    output: Type,
}

/// Rewrites the kind's `async fn`s in place and returns what `dyn` callers
/// need; nothing when there are none. Every method that cannot be called
/// through `Arc<dyn Kind>` is an error (all of them, so one build shows
/// them all).
pub fn expand(item: &mut ItemTrait) -> syn::Result<TokenStream> {
    let kind = item.ident.clone();
    let mut errors: Option<syn::Error> = None;
    let mut methods = Vec::new();
    for trait_item in &mut item.items {
        let TraitItem::Fn(f) = trait_item else {
            continue;
        };
        if f.sig.asyncness.is_none() {
            continue;
        }
        // The user kept it off `dyn` already; it needs no boxed twin.
        if !has_self_sized(f) {
            match method(&kind, f) {
                Ok(m) => methods.push(m),
                Err(e) => match &mut errors {
                    Some(all) => all.combine(e),
                    None => errors = Some(e),
                },
            }
        }
        desugar(f);
    }
    if let Some(e) = errors {
        return Err(e);
    }
    if methods.is_empty() {
        return Ok(TokenStream::new());
    }
    let dyn_trait = format_ident!("__PegboardDyn{}", kind);
    item.supertraits.push(parse_quote!(#dyn_trait));
    Ok(generate(&item.vis, &kind, &dyn_trait, &methods))
}

/// `async fn m(..) -> R` to `fn m(..) -> impl Future<Output = R> + Send
/// where Self: Sized`, a default body to `{ async move { body } }`.
fn desugar(f: &mut TraitItemFn) {
    let Some(asyncness) = f.sig.asyncness.take() else {
        return;
    };
    // Spanned at `async`, so "required by this bound" notes (a plugin's
    // future that is not `Send`) point at the method.
    let span = asyncness.span;
    let output = match &f.sig.output {
        ReturnType::Default => quote_spanned!(span=> ()),
        ReturnType::Type(_, ty) => ty.to_token_stream(),
    };
    f.sig.output = parse_quote_spanned!(span=>
        -> impl ::core::future::Future<Output = #output> + ::core::marker::Send
    );
    if !has_self_sized(f) {
        f.sig
            .generics
            .make_where_clause()
            .predicates
            .push(parse_quote_spanned!(span=> Self: ::core::marker::Sized));
    }
    if let Some(block) = &mut f.default {
        *block = parse_quote_spanned!(span=> { async move #block });
    }
}

fn has_self_sized(f: &TraitItemFn) -> bool {
    let Some(w) = &f.sig.generics.where_clause else {
        return false;
    };
    w.predicates.iter().any(|p| match p {
        WherePredicate::Type(t) => {
            matches!(&t.bounded_ty, Type::Path(p) if p.qself.is_none() && p.path.is_ident("Self"))
                && t.bounds.iter().any(|b| match b {
                    syn::TypeParamBound::Trait(t) => {
                        matches!(t.modifier, syn::TraitBoundModifier::None)
                            && t.path.segments.last().is_some_and(|s| s.ident == "Sized")
                    }
                    _ => false,
                })
        }
        _ => false,
    })
}

fn method(kind: &Ident, f: &TraitItemFn) -> syn::Result<Method> {
    let sig = &f.sig;
    let name = sig.ident.unraw().to_string();
    let fail = |span: &dyn ToTokens, why: &str| {
        syn::Error::new_spanned(
            span,
            format!("async method `{name}` of kind `{kind}` {why}"),
        )
    };
    let through = format!("it is also called through `Arc<dyn {kind}>`");
    let off = format!("or add `where Self: Sized` to keep the method off `dyn {kind}`");
    if let Some(t) = &sig.unsafety {
        return Err(fail(
            t,
            &format!("cannot be `unsafe`: {through}, whose forwarder would have to be unsafe too"),
        ));
    }
    if let Some(t) = &sig.abi {
        return Err(fail(t, "cannot have an `extern` ABI"));
    }
    let future = Lifetime::new("'pegboard", Span::call_site());
    let mut lifetimes = Vec::new();
    for param in &sig.generics.params {
        match param {
            GenericParam::Lifetime(l) => {
                let mut l = l.clone();
                l.bounds.push(future.clone());
                lifetimes.push(l);
            }
            GenericParam::Type(_) | GenericParam::Const(_) => {
                let what = match param {
                    GenericParam::Type(_) => "type",
                    _ => "const",
                };
                return Err(fail(
                    param,
                    &format!(
                        "cannot have {what} parameters: {through}, and a vtable holds only concrete methods; take a concrete type or `&dyn Trait`, {off}"
                    ),
                ));
            }
        }
    }
    let mut predicates = Vec::new();
    for p in sig.generics.where_clause.iter().flat_map(|w| &w.predicates) {
        match p {
            WherePredicate::Lifetime(_) => predicates.push(p.clone()),
            _ => {
                return Err(fail(
                    p,
                    &format!(
                        "can only bound lifetimes in its `where` clause: {through}, whose forwarder cannot carry other bounds; {off}"
                    ),
                ));
            }
        }
    }
    let mut inputs = sig.inputs.iter();
    let receiver = match inputs.next() {
        Some(FnArg::Receiver(r)) if r.colon_token.is_some() => {
            return Err(fail(
                r,
                &format!(
                    "must take `&self`, written so rather than `self: Type`: {through}, whose forwarder borrows the plugin"
                ),
            ));
        }
        Some(FnArg::Receiver(r)) => match &r.reference {
            Some(_) if r.mutability.is_some() => {
                return Err(fail(
                    r,
                    &format!(
                        "takes `&mut self`, but plugins are shared behind `Arc<dyn {kind}>`; take `&self` and keep mutable state behind a `Mutex` or an atomic"
                    ),
                ));
            }
            Some((_, Some(l))) if l.ident != "_" => l.clone(),
            Some(_) => future.clone(),
            None => {
                return Err(fail(
                    r,
                    &format!(
                        "takes `self` by value, but plugins are shared behind `Arc<dyn {kind}>`; take `&self`"
                    ),
                ));
            }
        },
        _ => {
            return Err(fail(
                &sig.ident,
                &format!(
                    "has no `self` receiver, but kind methods are called on a plugin (`Arc<dyn {kind}>`); take `&self`"
                ),
            ));
        }
    };
    let mut elided = Elided {
        fresh: Vec::new(),
        fixed: None,
    };
    let mut args = Vec::new();
    for (i, input) in inputs.enumerate() {
        let FnArg::Typed(typed) = input else {
            // A second receiver does not parse; nothing to add.
            continue;
        };
        let (ident, label) = match &*typed.pat {
            Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => {
                (p.ident.clone(), format!("argument `{}`", p.ident.unraw()))
            }
            _ => (
                format_ident!("__pegboard_arg{}", i),
                format!("argument {}", i + 1),
            ),
        };
        if let Some(e) = unnameable(&typed.ty, &|span, why| {
            fail(
                span,
                &format!("cannot be called through `Arc<dyn {kind}>`: its {label} {why}; {off}"),
            )
        }) {
            return Err(e);
        }
        let mut ty = (*typed.ty).clone();
        elided.visit_type_mut(&mut ty);
        args.push((ident, ty));
    }
    for fresh in elided.fresh {
        lifetimes.push(parse_quote!(#fresh: #future));
    }
    let mut output: Type = match &sig.output {
        ReturnType::Default => parse_quote!(()),
        ReturnType::Type(_, ty) => (**ty).clone(),
    };
    if let Some(e) = unnameable(&output, &|span, why| {
        fail(
            span,
            &format!("cannot be called through `Arc<dyn {kind}>`: its result type {why}; {off}"),
        )
    }) {
        return Err(e);
    }
    // Elided output lifetimes are the receiver's, as in any method.
    Elided {
        fresh: Vec::new(),
        fixed: Some(receiver.clone()),
    }
    .visit_type_mut(&mut output);
    let attrs = |name: &str| -> Vec<Attribute> {
        f.attrs
            .iter()
            .filter(|a| a.path().is_ident(name))
            .cloned()
            .collect()
    };
    Ok(Method {
        cfgs: attrs("cfg"),
        docs: attrs("doc"),
        ident: sig.ident.clone(),
        boxed: format_ident!("__pegboard_{}", sig.ident.unraw()),
        lifetimes,
        predicates,
        receiver,
        args,
        output,
    })
}

/// What `dyn` callers cannot pass or get back: `impl Trait` (no concrete
/// type for the vtable) and `Self` (unknown behind `dyn`).
fn unnameable(ty: &Type, fail: &dyn Fn(&dyn ToTokens, &str) -> syn::Error) -> Option<syn::Error> {
    let mut finder = Finder { found: None, fail };
    finder.visit_type_mut(&mut ty.clone());
    finder.found
}

struct Finder<'a> {
    found: Option<syn::Error>,
    fail: &'a dyn Fn(&dyn ToTokens, &str) -> syn::Error,
}

impl VisitMut for Finder<'_> {
    fn visit_type_mut(&mut self, ty: &mut Type) {
        if self.found.is_some() {
            return;
        }
        if let Type::ImplTrait(t) = ty {
            self.found = Some((self.fail)(
                t,
                "is `impl Trait`: use a concrete type, `&dyn Trait` or `Box<dyn Trait>`",
            ));
            return;
        }
        visit_mut::visit_type_mut(self, ty);
    }

    fn visit_ident_mut(&mut self, ident: &mut Ident) {
        if self.found.is_none() && ident == "Self" {
            self.found = Some((self.fail)(
                ident,
                "mentions `Self`, which is unknown behind `dyn`: use a concrete type",
            ));
        }
    }
}

/// Names the elided lifetimes of a type: each input one gets a fresh
/// lifetime (as the compiler would), output ones the receiver's.
struct Elided {
    fresh: Vec<Lifetime>,
    fixed: Option<Lifetime>,
}

impl Elided {
    fn name(&mut self, span: Span) -> Lifetime {
        if let Some(l) = &self.fixed {
            return l.clone();
        }
        let l = Lifetime::new(&format!("'pegboard{}", self.fresh.len()), span);
        self.fresh.push(l.clone());
        l
    }
}

impl VisitMut for Elided {
    fn visit_type_reference_mut(&mut self, r: &mut TypeReference) {
        if r.lifetime.is_none() {
            r.lifetime = Some(self.name(r.and_token.span));
        }
        visit_mut::visit_type_reference_mut(self, r);
    }

    fn visit_lifetime_mut(&mut self, l: &mut Lifetime) {
        if l.ident == "_" {
            *l = self.name(l.apostrophe);
        }
    }

    // Elided lifetimes in `fn(&str)` and `Fn(&str)` are their own
    // (higher-ranked), not the method's.
    fn visit_type_bare_fn_mut(&mut self, _: &mut TypeBareFn) {}
    fn visit_parenthesized_generic_arguments_mut(&mut self, _: &mut ParenthesizedGenericArguments) {
    }
}

fn generate(vis: &Visibility, kind: &Ident, dyn_trait: &Ident, methods: &[Method]) -> TokenStream {
    let future = Lifetime::new("'pegboard", Span::call_site());
    let signature = |m: &Method, receiver: TokenStream, name: &Ident| {
        let Method {
            lifetimes,
            predicates,
            args,
            output,
            ..
        } = m;
        let params = args.iter().map(|(ident, ty)| quote!(#ident: #ty));
        let predicates = (!predicates.is_empty()).then(|| quote!(where #(#predicates),*));
        quote! {
            fn #name<#future, #(#lifetimes),*>(#receiver #(, #params)*)
                -> ::pegboard::BoxFuture<#future, #output>
                #predicates
        }
    };
    let mut decls = Vec::new();
    let mut impls = Vec::new();
    let mut forwards = Vec::new();
    for m in methods {
        let Method {
            cfgs,
            docs,
            ident,
            boxed,
            receiver,
            args,
            ..
        } = m;
        let idents: Vec<&Ident> = args.iter().map(|(i, _)| i).collect();
        let boxed_sig = signature(m, quote!(&#receiver self), boxed);
        decls.push(quote! { #(#cfgs)* #boxed_sig; });
        impls.push(quote! {
            #(#cfgs)*
            #boxed_sig {
                ::std::boxed::Box::pin(<__PegboardT as #kind>::#ident(self #(, #idents)*))
            }
        });
        let docs = if docs.is_empty() {
            let doc = format!(
                "[`{kind}::{}`] on a plugin behind `Arc<dyn {kind}>`, its future boxed.",
                ident.unraw()
            );
            quote!(#[doc = #doc])
        } else {
            quote!(#(#docs)*)
        };
        let forward_sig = signature(m, quote!(self: &#receiver ::std::sync::Arc<Self>), ident);
        forwards.push(quote! {
            #(#cfgs)*
            #docs
            #vis #forward_sig {
                <Self as #dyn_trait>::#boxed(&**self #(, #idents)*)
            }
        });
    }
    quote! {
        #[doc(hidden)]
        #vis trait #dyn_trait {
            #(#decls)*
        }

        impl<__PegboardT: #kind> #dyn_trait for __PegboardT {
            #(#impls)*
        }

        // Unused forwarders are no more dead than the trait methods they mirror.
        #[allow(dead_code)]
        impl<'pegboard_object> dyn #kind + 'pegboard_object {
            #(#forwards)*
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_str(src: &str) -> (String, String) {
        let mut item: ItemTrait = syn::parse_str(src).unwrap();
        let extra = expand(&mut item).unwrap();
        (item.to_token_stream().to_string(), extra.to_string())
    }

    #[test]
    fn a_trait_without_async_methods_is_left_alone() {
        let src = "pub trait Store { fn put(&self, text: &str) -> usize; }";
        let (item, extra) = expand_str(src);
        let original: ItemTrait = syn::parse_str(src).unwrap();
        assert_eq!(item, original.to_token_stream().to_string());
        assert!(extra.is_empty(), "{extra}");
    }

    #[test]
    fn elided_input_lifetimes_get_their_own_names_but_fn_sugar_keeps_its() {
        let (item, extra) = expand_str(
            "pub trait N { async fn f(&self, a: &str, b: Cow<'_, str>, c: &dyn Fn(&str) -> &str, d: fn(&u8)) -> &str; }",
        );
        assert!(
            item.contains("where Self : :: core :: marker :: Sized"),
            "{item}"
        );
        let boxed = extra
            .split("fn __pegboard_f")
            .nth(1)
            .and_then(|s| s.split(';').next())
            .unwrap();
        assert_eq!(
            boxed.split_whitespace().collect::<String>(),
            "<'pegboard,'pegboard0:'pegboard,'pegboard1:'pegboard,'pegboard2:'pegboard>\
             (&'pegboardself,a:&'pegboard0str,b:Cow<'pegboard1,str>,\
             c:&'pegboard2dynFn(&str)->&str,d:fn(&u8))\
             ->::pegboard::BoxFuture<'pegboard,&'pegboardstr>"
        );
    }

    #[test]
    fn a_method_kept_off_dyn_gets_no_boxed_twin() {
        let (item, extra) =
            expand_str("pub trait N { async fn f<T>(&self, t: T) where Self: Sized; }");
        assert!(!item.contains("async"), "{item}");
        assert_eq!(item.matches("Sized").count(), 1, "{item}");
        assert!(extra.is_empty(), "{extra}");
    }
}
