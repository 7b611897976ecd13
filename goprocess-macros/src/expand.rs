//! `#[process]`: checks the struct as the user wrote it, then hands it to
//! the internal derive (`derive`), which generates `impl Spec` once `cfg`
//! and `cfg_attr` have run. Next to errors it emits the struct without its
//! helper attributes and a stub `Spec` instead.

use proc_macro2::{Group, Ident, Literal, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Fields, GenericParam, Generics, Item, ItemStruct, Path};

use crate::attr::{ProcessArgs, is_field_helper, rewrite_field_attrs};
use crate::check;
use crate::ctxt::Ctxt;
use crate::manifest;
use crate::model::{Process, Source};
use crate::symbol::HELPER;

/// `#[process]`, from arguments and item to output.
pub(crate) fn process(args: TokenStream, input: TokenStream) -> TokenStream {
    let cx = Ctxt::new();
    let arg_tokens = args.clone();
    let args = ProcessArgs::parse(&cx, args);
    let krate = args.krate.clone().unwrap_or_else(default_crate);
    let item = match syn::parse2::<Item>(input.clone()) {
        Ok(item) => item,
        Err(error) => {
            cx.syn_error(error);
            return with_errors(cx, input);
        }
    };
    match item {
        Item::Struct(item) => process_struct(cx, &item, args, arg_tokens),
        Item::Enum(mut item) => {
            check::check_struct_attrs(&cx, &item.attrs);
            item.attrs
                .retain(|attr| !check::is_misplaced_struct_attr(attr));
            for variant in &mut item.variants {
                strip_field_helpers(&mut variant.fields);
            }
            cx.error_spanned_by(
                item.enum_token,
                format!(
                    "#[process] needs a struct with named fields, not an enum: \
                     write `struct {} {{ #[child] field: Type, .. }}`",
                    item.ident
                ),
            );
            let stub = stub(&krate, &item.ident, &item.generics);
            with_errors(cx, quote!(#item #stub))
        }
        Item::Union(mut item) => {
            check::check_struct_attrs(&cx, &item.attrs);
            item.attrs
                .retain(|attr| !check::is_misplaced_struct_attr(attr));
            for field in item.fields.named.iter_mut() {
                field.attrs.retain(|attr| !is_field_helper(attr));
            }
            cx.error_spanned_by(
                item.union_token,
                format!(
                    "#[process] needs a struct with named fields, not a union: \
                     write `struct {} {{ #[child] field: Type, .. }}`",
                    item.ident
                ),
            );
            let stub = stub(&krate, &item.ident, &item.generics);
            with_errors(cx, quote!(#item #stub))
        }
        other => {
            cx.error_at(
                span_of_item_keyword(&other),
                "#[process] goes on a struct with named fields, e.g. `#[process] struct App { #[child] http: Handle<Http> }`",
            );
            with_errors(cx, other.into_token_stream())
        }
    }
}

fn process_struct(
    cx: Ctxt,
    item: &ItemStruct,
    args: ProcessArgs,
    arg_tokens: TokenStream,
) -> TokenStream {
    let krate = args.krate.clone().unwrap_or_else(default_crate);
    let overridden = args.krate.is_some();
    let Some(process) = Process::from_ast(&cx, item, args, Source::User) else {
        check::check_struct_attrs(&cx, &item.attrs);
        let what = format!(
            "#[process] needs named fields, which #[wait_for(..)] and the shutdown plan refer to; \
             write `struct {} {{ name: Type, .. }}` instead of a tuple struct",
            item.ident
        );
        let span = match &item.fields {
            Fields::Unnamed(fields) => fields.paren_token.span.join(),
            _ => item.ident.span(),
        };
        cx.error_at(span, what);
        let stripped = strip_helpers(item);
        let stub = stub(&krate, &item.ident, &item.generics);
        return with_errors(cx, quote!(#stripped #stub));
    };
    check::check(&cx, &process);
    if !overridden && let Err(message) = manifest::check_dependency() {
        // `::goprocess` cannot resolve here: no item that names it.
        cx.error_at(Span::call_site(), message);
        return with_errors(cx, strip_helpers(item).into_token_stream());
    }
    if cx.has_errors() {
        let stripped = strip_helpers(item);
        let stub = stub(&krate, &item.ident, &item.generics);
        return with_errors(cx, quote!(#stripped #stub));
    }
    with_errors(cx, for_derive(item, &krate, arg_tokens))
}

/// The struct for the internal derive: its helper attributes as
/// `#[__goprocess(..)]`, the arguments of `#[process]` as
/// `#[__goprocess(..)]` on the struct, and `#[derive(krate::__private::Spec)]`.
fn for_derive(item: &ItemStruct, krate: &Path, arg_tokens: TokenStream) -> TokenStream {
    let mut item = item.clone();
    for field in item.fields.iter_mut() {
        rewrite_field_attrs(&mut field.attrs);
    }
    let helper = Ident::new(HELPER.0, Span::call_site());
    let args = (!arg_tokens.is_empty()).then(|| quote!(#[#helper(#arg_tokens)]));
    let attrs = &item.attrs;
    let rest = {
        let mut rest = item.clone();
        rest.attrs.clear();
        rest
    };
    quote! {
        #(#attrs)*
        #[derive(#krate::__private::Spec)]
        #args
        #rest
    }
}

/// `Duration::from_millis(..)`, or `from_nanos` for a duration that is not
/// a whole number of milliseconds.
pub(crate) fn duration(krate: &Path, nanos: u64) -> TokenStream {
    if nanos.is_multiple_of(1_000_000) {
        let millis = Literal::u64_unsuffixed(nanos / 1_000_000);
        quote!(#krate::__private::Duration::from_millis(#millis))
    } else {
        let nanos = Literal::u64_unsuffixed(nanos);
        quote!(#krate::__private::Duration::from_nanos(#nanos))
    }
}

/// `::goprocess`.
pub(crate) fn default_crate() -> Path {
    syn::parse_quote!(::goprocess)
}

/// `tokens` with every span located at `span`, keeping the call site's
/// name resolution (paths in generated code are absolute or user-given):
/// errors point at the user's tokens, while lints see generated code.
pub(crate) fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    let span = Span::call_site().located_at(span);
    tokens
        .into_iter()
        .map(|mut token| {
            if let TokenTree::Group(group) = &token {
                let mut respanned = Group::new(group.delimiter(), respan(group.stream(), span));
                respanned.set_span(span);
                token = TokenTree::Group(respanned);
            } else {
                token.set_span(span);
            }
            token
        })
        .collect()
}

/// `output`, followed by the errors recorded in `cx`, if any.
pub(crate) fn with_errors(cx: Ctxt, output: TokenStream) -> TokenStream {
    match cx.check() {
        Ok(()) => output,
        Err(errors) => quote!(#output #errors),
    }
}

fn span_of_item_keyword(item: &Item) -> Span {
    match item {
        Item::Fn(item) => item.sig.fn_token.span,
        Item::Impl(item) => item.impl_token.span,
        Item::Trait(item) => item.trait_token.span,
        Item::Mod(item) => item.mod_token.span,
        Item::Type(item) => item.type_token.span,
        other => other.span(),
    }
}

/// The struct as the user wrote it, minus the attributes `#[process]` reads.
fn strip_helpers(item: &ItemStruct) -> ItemStruct {
    let mut item = item.clone();
    item.attrs
        .retain(|attr| !check::is_misplaced_struct_attr(attr));
    strip_field_helpers(&mut item.fields);
    item
}

fn strip_field_helpers(fields: &mut Fields) {
    for field in fields.iter_mut() {
        field.attrs.retain(|attr| !is_field_helper(attr));
    }
}

/// What is emitted next to the errors: `Marked`, and a `Spec` with nothing
/// in it but the struct's hooks, so that uses of the type (`.start()`,
/// `shutdown_plan()`, its `#[teardown]` and `#[run]`) add no errors. A
/// struct with lifetime parameters gets `Spec` for `'static` ones (a
/// `Spec` is `'static`); the bounds `Spec` needs are assumed, not required.
pub(crate) fn stub(krate: &Path, ident: &Ident, generics: &Generics) -> TokenStream {
    let name = ident.unraw().to_string();
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let lifetimes: Vec<&Ident> = generics
        .lifetimes()
        .map(|param| &param.lifetime.ident)
        .collect();
    let params = generics
        .params
        .iter()
        .filter(|param| !matches!(param, GenericParam::Lifetime(_)))
        .map(|param| staticize(param.to_token_stream(), &lifetimes));
    let arguments = generics.params.iter().map(|param| match param {
        GenericParam::Lifetime(_) => quote!('static),
        GenericParam::Type(param) => param.ident.to_token_stream(),
        GenericParam::Const(param) => param.ident.to_token_stream(),
    });
    let predicates = generics
        .where_clause
        .iter()
        .flat_map(|clause| clause.predicates.iter())
        .map(|predicate| staticize(predicate.to_token_stream(), &lifetimes));
    let hooks = hooks(krate, ident);
    quote! {
        #[automatically_derived]
        impl #impl_generics #krate::__private::Marked for #ident #ty_generics #where_clause {}

        #[automatically_derived]
        impl<#(#params),*> #krate::__private::Spec for #ident<#(#arguments),*>
        where
            #(#predicates,)*
            Self: ::core::marker::Send + ::core::marker::Sync + 'static,
        {
            const NAME: &'static str = #name;
            const PLAN: #krate::__private::Plan = #krate::__private::Plan { stages: &[], startup: &[], fields: &[] };

            fn wire(&self, _: &mut #krate::__private::Wiring<'_>) {}

            #hooks
        }
    }
}

/// `fn hooks()`: the `#[teardown]`, `#[run]` and `#[init]` methods if
/// defined, the `NoHooks` fallbacks otherwise. The type is named without generic
/// arguments, so a hook in an impl for only some of them is found and
/// refused (at the struct's name).
pub(crate) fn hooks(krate: &Path, ident: &Ident) -> TokenStream {
    let span = ident.span();
    let krate_there = respan(krate.to_token_stream(), span);
    let ty = Ident::new(&ident.to_string(), Span::call_site().located_at(span));
    let hooks = respan(
        quote!(Self::__goprocess_hooks(
            #ty::__goprocess_teardown(),
            #ty::__goprocess_run(),
            #ty::__goprocess_init(),
        )),
        span,
    );
    quote! {
        fn hooks() -> #krate::__private::Hooks<Self> {
            use #krate_there::__private::NoHooks as _;
            #hooks
        }
    }
}

/// `tokens` with each lifetime in `lifetimes` replaced by `'static`.
fn staticize(tokens: TokenStream, lifetimes: &[&Ident]) -> TokenStream {
    let mut out = Vec::new();
    let mut after_quote = false;
    for token in tokens {
        let token = match token {
            TokenTree::Group(group) => {
                let mut replaced =
                    Group::new(group.delimiter(), staticize(group.stream(), lifetimes));
                replaced.set_span(group.span());
                TokenTree::Group(replaced)
            }
            TokenTree::Ident(ident) if after_quote && lifetimes.contains(&&ident) => {
                TokenTree::Ident(Ident::new("static", ident.span()))
            }
            other => other,
        };
        after_quote = matches!(&token, TokenTree::Punct(punct) if punct.as_char() == '\'');
        out.push(token);
    }
    out.into_iter().collect()
}
