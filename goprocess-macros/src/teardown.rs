//! `#[teardown]`: checks the method's signature (and that a `timeout` is
//! only asked of an `async fn`), keeps the method, and adds the hidden
//! `__goprocess_teardown` that `impl Spec` calls.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::{FnArg, Ident, ImplItemFn, Path, ReceiverKind, ReturnType, Safety, Signature, Type};

use crate::attr;
use crate::ctxt::Ctxt;
use crate::expand::{default_crate, respan, with_errors};
use crate::symbol::TEARDOWN;

const WHERE: &str = "#[teardown] goes on one method of the struct's inherent impl: \
                     `impl MyProcess { #[teardown] async fn close(&self) -> Result<(), MyError> { .. } }`";

/// `#[teardown]`, from arguments and item to output.
pub(crate) fn teardown(args: TokenStream, input: TokenStream) -> TokenStream {
    let cx = Ctxt::new();
    let args = attr::macro_args(&cx, args, TEARDOWN);
    let krate = args.krate.clone().unwrap_or_else(default_crate);
    let mut method = match syn::parse2::<ImplItemFn>(input.clone()) {
        Ok(method) => method,
        Err(_) => {
            let span = input
                .clone()
                .into_iter()
                .next()
                .map_or_else(Span::call_site, |token| token.span());
            cx.error_at(span, format!("expected a method; {WHERE}"));
            return with_errors(cx, input);
        }
    };
    method.attrs.retain(|attr| {
        let duplicate = attr.path() == TEARDOWN;
        if duplicate {
            cx.error_spanned_by(
                attr,
                "duplicate #[teardown] on this method; remove this one",
            );
        }
        !duplicate
    });
    check_signature(&cx, &method.sig);
    if let (Some(budget), None) = (&args.timeout, &method.sig.asyncness) {
        let name = &method.sig.ident;
        cx.error_at(
            budget.key,
            format!(
                "`timeout` needs an `async fn` teardown: a sync `fn` runs to its end on the thread that closes the process \
                 and cannot be interrupted; make it `async fn {name}(&self)`, or remove `timeout` \
                 (a budget for the whole close is `#[process(close_timeout = \"..\")]`)"
            ),
        );
    }
    if cx.has_errors() {
        return with_errors(cx, quote!(#method));
    }
    let timeout = args
        .timeout
        .as_ref()
        .map(|budget| proc_macro2::Literal::u64_unsuffixed(budget.millis));
    let hidden = hidden_items(&krate, &method.sig, timeout);
    with_errors(cx, quote!(#method #hidden))
}

fn check_signature(cx: &Ctxt, sig: &Signature) {
    let name = &sig.ident;
    if let Safety::Unsafe(unsafe_token) = &sig.safety {
        cx.error_spanned_by(
            unsafe_token,
            format!("#[teardown] method `{name}` cannot be `unsafe`: the runtime calls it with no safety contract to uphold; remove `unsafe` (use an `unsafe {{ .. }}` block inside)"),
        );
    }
    if !sig.generics.params.is_empty() {
        cx.error_spanned_by(
            &sig.generics,
            format!("#[teardown] method `{name}` cannot be generic: the runtime calls it without type arguments; remove its generic parameters"),
        );
    }
    if let Some(where_clause) = &sig.generics.where_clause {
        cx.error_spanned_by(
            where_clause,
            format!("#[teardown] method `{name}` cannot have a `where` clause: the runtime must always be able to call it; remove it"),
        );
    }
    if let Some(variadic) = &sig.variadic {
        cx.error_spanned_by(
            variadic,
            format!("#[teardown] method `{name}` takes only `&self`"),
        );
    }
    check_inputs(cx, sig);
    check_output(cx, sig);
}

fn check_inputs(cx: &Ctxt, sig: &Signature) {
    let name = &sig.ident;
    let mut inputs = sig.inputs.iter();
    match inputs.next() {
        Some(FnArg::Receiver(receiver)) => {
            let fix = match (&receiver.kind, &receiver.mutability) {
                (ReceiverKind::Reference(_, None, None), None) => None,
                (ReceiverKind::Reference(_, Some(_), None), _) => {
                    Some("remove the lifetime: write `&self`".to_owned())
                }
                (ReceiverKind::Reference(_, _, Some(_)), _) => Some(
                    "not `&mut self`: other handles may still use the value while it closes; \
                     write `&self` and use interior mutability (e.g. a `Mutex`)"
                        .to_owned(),
                ),
                (ReceiverKind::Value, _) => Some(
                    "not `self`: the value stays shared (behind `Handle`s) while it closes; write `&self`"
                        .to_owned(),
                ),
                _ => Some("write `&self`".to_owned()),
            };
            if let Some(fix) = fix {
                cx.error_spanned_by(
                    receiver,
                    format!("#[teardown] method `{name}` must take `&self`; {fix}"),
                );
            }
        }
        Some(FnArg::Typed(argument)) => cx.error_spanned_by(
            argument,
            format!("#[teardown] method `{name}` must take `&self` as its only parameter; {WHERE}"),
        ),
        None => cx.error_spanned_by(
            &sig.ident,
            format!(
                "#[teardown] method `{name}` must take `&self`: write `fn {name}(&self)`; {WHERE}"
            ),
        ),
    }
    for extra in inputs {
        cx.error_spanned_by(
            extra,
            format!("#[teardown] method `{name}` takes only `&self`; remove this parameter"),
        );
    }
}

fn check_output(cx: &Ctxt, sig: &Signature) {
    let ReturnType::Type(_, ty) = &sig.output else {
        return;
    };
    if is_unit(ty) || is_unit_result(ty) {
        return;
    }
    cx.error_spanned_by(
        ty,
        format!(
            "#[teardown] method `{}` must return nothing, `()` or `Result<(), E>` (with `E: Into<BoxError>`), not `{}`",
            sig.ident,
            quote_tokens(ty)
        ),
    );
}

fn is_unit(ty: &Type) -> bool {
    match ty {
        Type::Tuple(tuple) => tuple.elems.is_empty(),
        Type::Paren(paren) => is_unit(&paren.elem),
        Type::Group(group) => is_unit(&group.elem),
        _ => false,
    }
}

/// `Result<(), E>`, `io::Result<()>`, `anyhow::Result<()>`…: a path whose
/// last segment is `Result` with `()` as first generic argument.
fn is_unit_result(ty: &Type) -> bool {
    let Type::Path(path) = ty else {
        return match ty {
            Type::Paren(paren) => is_unit_result(&paren.elem),
            Type::Group(group) => is_unit_result(&group.elem),
            _ => false,
        };
    };
    let Some(last) = path.path.segments.last() else {
        return false;
    };
    let syn::PathArguments::AngleBracketed(arguments) = &last.arguments else {
        return false;
    };
    last.ident == "Result"
        && matches!(arguments.args.first(), Some(syn::GenericArgument::Type(first)) if is_unit(first))
}

fn quote_tokens<T: quote::ToTokens>(tokens: &T) -> String {
    // Good enough for messages: `Vec < u8 >` reads as `Vec<u8>` once the
    // spaces around punctuation are gone.
    let text = tokens.to_token_stream().to_string();
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if *c == ' ' {
            let before = i.checked_sub(1).and_then(|j| chars.get(j)).copied();
            let after = chars.get(i + 1).copied();
            let tight =
                |c: Option<char>| matches!(c, Some('<' | '>' | ':' | '(' | ')' | '&' | ','));
            if tight(before) && before != Some(',') || tight(after) && after != Some('&') {
                continue;
            }
        }
        out.push(*c);
    }
    out
}

/// The items added next to the method: the hook `impl Spec` calls, and a
/// marker whose duplicate-definition error says what to do when a type has
/// two `#[teardown]` methods.
fn hidden_items(
    krate: &Path,
    sig: &Signature,
    timeout: Option<proc_macro2::Literal>,
) -> TokenStream {
    let this = Ident::new("this", Span::mixed_site());
    let method = &sig.ident;
    // A teardown that does not fit the runtime (its error is not
    // `Into<BoxError>`, its future is not `Send`) is reported at its name.
    let span = method.span();
    let this_there = Ident::new("this", Span::mixed_site().located_at(span));
    let krate_there = respan(krate.to_token_stream(), span);
    let body = if let (Some(millis), Some(_)) = (&timeout, &sig.asyncness) {
        quote_spanned! {span=>
            #krate_there::__private::async_teardown_within(
                async move { Self::#method(&#this_there).await },
                #krate_there::__private::Duration::from_millis(#millis),
            )
        }
    } else if sig.asyncness.is_some() {
        quote_spanned! {span=>
            #krate_there::__private::async_teardown(async move { Self::#method(&#this_there).await })
        }
    } else {
        quote_spanned! {span=>
            #krate_there::__private::sync_teardown(move || Self::#method(&#this_there))
        }
    };
    quote! {
        #[doc(hidden)]
        #[allow(dead_code, non_upper_case_globals)]
        const __goprocess_only_one_teardown_per_type__remove_the_extra_teardown: () = ();

        #[doc(hidden)]
        pub(crate) fn __goprocess_teardown(#this: #krate::__private::Arc<Self>) -> #krate::__private::Teardown {
            #body
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_results() {
        for ok in [
            "()",
            "Result<(), E>",
            "io::Result<()>",
            "::anyhow::Result<()>",
            "(())",
        ] {
            let ty: Type = syn::parse_str(ok).unwrap();
            assert!(is_unit(&ty) || is_unit_result(&ty), "{ok}");
        }
        for bad in [
            "u8",
            "Result<u8, E>",
            "Option<()>",
            "Result",
            "impl Future<Output = ()>",
        ] {
            let ty: Type = syn::parse_str(bad).unwrap();
            assert!(!is_unit(&ty) && !is_unit_result(&ty), "{bad}");
        }
    }

    #[test]
    fn tokens_read_like_source() {
        let ty: Type = syn::parse_str("Result<Vec<u8>, &'static str>").unwrap();
        assert_eq!(quote_tokens(&ty), "Result<Vec<u8>, &'static str>");
    }
}
