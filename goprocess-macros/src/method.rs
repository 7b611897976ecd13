//! What `#[teardown]` and `#[run]` share: reading the method, checking its
//! signature, and the hidden constant each adds next to it (the hook that
//! the struct's `impl Spec` finds).

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{FnArg, ImplItemFn, ReceiverKind, ReturnType, Safety, Signature, Type};

use crate::ctxt::Ctxt;
use crate::symbol::{RUN, Symbol, TEARDOWN, names_macro};

/// Which of the two method attributes.
#[derive(Copy, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    Teardown,
    Run,
}

impl Kind {
    pub(crate) fn symbol(self) -> Symbol {
        match self {
            Kind::Teardown => TEARDOWN,
            Kind::Run => RUN,
        }
    }

    fn other(self) -> Kind {
        match self {
            Kind::Teardown => Kind::Run,
            Kind::Run => Kind::Teardown,
        }
    }

    /// Where the attribute goes, as an example.
    fn example(self) -> &'static str {
        match self {
            Kind::Teardown => {
                "#[teardown] goes on one method of the struct's inherent impl: \
                 `impl MyProcess { #[teardown] async fn close(&self) -> Result<(), MyError> { .. } }`"
            }
            Kind::Run => {
                "#[run] goes on one method of the struct's inherent impl: \
                 `impl MyProcess { #[run] async fn serve(&self, me: Process) -> Result<(), MyError> { .. } }`"
            }
        }
    }

    /// What the method may take, in words.
    fn takes(self) -> &'static str {
        match self {
            Kind::Teardown => "`&self`",
            Kind::Run => "`&self`, and optionally the struct's `Process`",
        }
    }
}

/// The method under the attribute; `None` (reported) for anything else.
pub(crate) fn parse(cx: &Ctxt, input: &TokenStream, kind: Kind) -> Option<ImplItemFn> {
    match syn::parse2::<ImplItemFn>(input.clone()) {
        Ok(method) => Some(method),
        Err(_) => {
            let span = input
                .clone()
                .into_iter()
                .next()
                .map_or_else(Span::call_site, |token| token.span());
            cx.error_at(span, format!("expected a method; {}", kind.example()));
            None
        }
    }
}

/// Removes a second copy of the attribute, and the other method attribute
/// (a method is either the teardown or the run), reporting each.
pub(crate) fn strip_conflicts(cx: &Ctxt, method: &mut ImplItemFn, kind: Kind) {
    let name = method.sig.ident.to_string();
    method.attrs.retain(|attr| {
        let path = attr.path();
        if names_macro(path, kind.symbol()) {
            cx.error_spanned_by(
                attr,
                format!("duplicate #[{}] on this method; remove this one", kind.symbol()),
            );
            false
        } else if names_macro(path, kind.other().symbol()) {
            cx.error_spanned_by(
                attr,
                format!(
                    "`{name}` cannot be both the #[run] and the #[teardown] of its struct: the run is the struct's \
                     main loop, the teardown runs once after it has returned; use two methods"
                ),
            );
            false
        } else {
            true
        }
    });
}

/// Checks what both attributes require of the signature, and what `kind`
/// adds. Returns the type of the `Process` argument of a `#[run]`, if any.
pub(crate) fn check_signature<'a>(cx: &Ctxt, sig: &'a Signature, kind: Kind) -> Option<&'a Type> {
    let name = &sig.ident;
    let attr = kind.symbol();
    if let Safety::Unsafe(unsafe_token) = &sig.safety {
        cx.error_spanned_by(
            unsafe_token,
            format!(
                "#[{attr}] method `{name}` cannot be `unsafe`: the runtime calls it with no safety contract to uphold; \
                 remove `unsafe` (use an `unsafe {{ .. }}` block inside)"
            ),
        );
    }
    if kind == Kind::Run && sig.asyncness.is_none() {
        cx.error_spanned_by(
            sig.fn_token,
            format!(
                "#[run] method `{name}` must be an `async fn`: it runs as the struct's process function, in a tokio task; \
                 write `async fn {name}(&self, me: Process)`"
            ),
        );
    }
    if !sig.generics.params.is_empty() {
        cx.error_spanned_by(
            &sig.generics,
            format!(
                "#[{attr}] method `{name}` cannot be generic: the runtime calls it without type arguments; \
                 remove its generic parameters"
            ),
        );
    }
    if let Some(where_clause) = &sig.generics.where_clause {
        cx.error_spanned_by(
            where_clause,
            format!(
                "#[{attr}] method `{name}` cannot have a `where` clause: the runtime must always be able to call it; \
                 remove it"
            ),
        );
    }
    if let Some(variadic) = &sig.variadic {
        cx.error_spanned_by(
            variadic,
            format!("#[{attr}] method `{name}` takes only {}", kind.takes()),
        );
    }
    let process_arg = check_inputs(cx, sig, kind);
    check_output(cx, sig, kind);
    process_arg
}

fn check_inputs<'a>(cx: &Ctxt, sig: &'a Signature, kind: Kind) -> Option<&'a Type> {
    let name = &sig.ident;
    let attr = kind.symbol();
    let mut inputs = sig.inputs.iter();
    match inputs.next() {
        Some(FnArg::Receiver(receiver)) => {
            let fix = match (&receiver.kind, &receiver.mutability) {
                (ReceiverKind::Reference(_, None, None), None) => None,
                (ReceiverKind::Reference(_, Some(_), None), _) => {
                    Some("remove the lifetime: write `&self`".to_owned())
                }
                (ReceiverKind::Reference(_, _, Some(_)), _) => Some(
                    "not `&mut self`: other handles may still use the value meanwhile; \
                     write `&self` and use interior mutability (e.g. a `Mutex`)"
                        .to_owned(),
                ),
                (ReceiverKind::Value, _) => Some(
                    "not `self`: the value stays shared (behind `Handle`s) while it runs and closes; write `&self`"
                        .to_owned(),
                ),
                _ => Some("write `&self`".to_owned()),
            };
            if let Some(fix) = fix {
                cx.error_spanned_by(
                    receiver,
                    format!("#[{attr}] method `{name}` must take `&self`; {fix}"),
                );
            }
        }
        Some(FnArg::Typed(argument)) => {
            cx.error_spanned_by(
                argument,
                format!(
                    "#[{attr}] method `{name}` must take `&self` first; {}",
                    kind.example()
                ),
            );
            return None;
        }
        None => {
            let asyncness = if sig.asyncness.is_some() {
                "async "
            } else {
                ""
            };
            cx.error_spanned_by(
                &sig.ident,
                format!(
                    "#[{attr}] method `{name}` must take `&self`: write `{asyncness}fn {name}(&self)`; {}",
                    kind.example()
                ),
            );
            return None;
        }
    }
    let mut process_arg = None;
    for (position, extra) in inputs.enumerate() {
        match (kind, position, extra) {
            (Kind::Run, 0, FnArg::Typed(argument)) => {
                if let Type::Reference(reference) = &*argument.ty {
                    cx.error_spanned_by(
                        reference,
                        format!(
                            "#[run] method `{name}` takes its process by value (a `Process` is a cheap handle): \
                             write `me: Process`"
                        ),
                    );
                } else {
                    process_arg = Some(&*argument.ty);
                }
            }
            _ => cx.error_spanned_by(
                extra,
                format!(
                    "#[{attr}] method `{name}` takes only {}; remove this parameter",
                    kind.takes()
                ),
            ),
        }
    }
    process_arg
}

fn check_output(cx: &Ctxt, sig: &Signature, kind: Kind) {
    let ReturnType::Type(_, ty) = &sig.output else {
        return;
    };
    if is_unit(ty) || is_unit_result(ty) {
        return;
    }
    cx.error_spanned_by(
        ty,
        format!(
            "#[{}] method `{}` must return nothing, `()` or `Result<(), E>` (with `E: Into<BoxError>`), not `{}`",
            kind.symbol(),
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

/// The hidden constant `#[teardown]` / `#[run]` adds next to the method:
/// `const NAME: krate::__private::Hook<Self> = krate::__private::Hook::new("method", hook);`.
/// It is `pub(crate)` whatever the method's visibility: the struct's `impl
/// Spec` may be in another module, and an associated item it could not see
/// would be skipped for the empty fallback without a word. Its name and
/// constructor are spanned at the attribute: a second one on the type, or
/// one in a trait impl, is reported there.
pub(crate) fn hook_const(
    method: &ImplItemFn,
    constant: &str,
    hook_type: TokenStream,
    hook: TokenStream,
) -> TokenStream {
    let call_site = Span::call_site();
    let constant = syn::Ident::new(constant, call_site);
    let method_name = syn::ext::IdentExt::unraw(&method.sig.ident).to_string();
    let hook_type = crate::expand::respan(hook_type, call_site);
    quote! {
        #[doc(hidden)]
        #[allow(dead_code)]
        pub(crate) const #constant: #hook_type<Self> = #hook_type::new(#method_name, #hook);
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
