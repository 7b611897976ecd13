//! What `#[teardown]` and `#[run]` share: reading the method, checking its
//! signature, and the hidden function each adds next to it (the hook that
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
            Kind::Teardown => "`&self` (or no `self`)",
            Kind::Run => "`&self` (or no `self`), and optionally the struct's `Process`",
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

/// How the method takes its struct, and so how the hook passes it.
#[derive(Copy, Clone, PartialEq, Eq)]
pub(crate) enum Receiver {
    /// No receiver (an associated function, e.g. for a method that does
    /// not use its struct).
    None,
    /// `&self`, `&'a self`, `self: &Self`: passed `&this`.
    Ref,
    /// `self: Arc<Self>`: passed the `Arc` the struct lives in.
    Arc,
    /// `self: &Arc<Self>`: passed `&this`.
    RefArc,
}

/// What the hook needs to know about a checked method.
pub(crate) struct Checked<'a> {
    pub(crate) receiver: Receiver,
    /// The type of the `Process` argument of a `#[run]`, if it takes one.
    pub(crate) process_arg: Option<&'a Type>,
}

/// Checks what both attributes require of the signature, and what `kind`
/// adds.
pub(crate) fn check_signature<'a>(cx: &Ctxt, sig: &'a Signature, kind: Kind) -> Checked<'a> {
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
    check_inputs(cx, sig, kind)
}

fn check_inputs<'a>(cx: &Ctxt, sig: &'a Signature, kind: Kind) -> Checked<'a> {
    let name = &sig.ident;
    let attr = kind.symbol();
    let mut inputs = sig.inputs.iter().peekable();
    let receiver = match inputs.peek() {
        Some(FnArg::Receiver(receiver)) => {
            inputs.next();
            match receiver_kind(receiver) {
                Ok(receiver) => receiver,
                Err(fix) => {
                    cx.error_spanned_by(
                        receiver,
                        format!(
                            "#[{attr}] method `{name}` must take `&self` (or no `self`); {fix}"
                        ),
                    );
                    Receiver::Ref
                }
            }
        }
        _ => Receiver::None,
    };
    let mut process_arg = None;
    for (position, extra) in inputs.enumerate() {
        match (kind, position, extra) {
            (Kind::Run, 0, FnArg::Typed(argument)) => match &*argument.ty {
                Type::Reference(reference) => cx.error_spanned_by(
                    reference,
                    format!(
                        "#[run] method `{name}` takes its process by value (a `Process` is a cheap handle): \
                         write `me: Process`"
                    ),
                ),
                Type::ImplTrait(impl_trait) => cx.error_spanned_by(
                    impl_trait,
                    format!(
                        "#[run] method `{name}` is passed the struct's own `Process`, so its type cannot be left to \
                         `impl Trait`: write `me: Process` (a `Process` is `AsProcess`, `Clone` and cheap)"
                    ),
                ),
                ty => process_arg = Some(ty),
            },
            _ => cx.error_spanned_by(
                extra,
                format!(
                    "#[{attr}] method `{name}` takes only {}; remove this parameter",
                    kind.takes()
                ),
            ),
        }
    }
    Checked {
        receiver,
        process_arg,
    }
}

/// How `receiver` takes the struct, or what to write instead.
fn receiver_kind(receiver: &syn::Receiver) -> Result<Receiver, &'static str> {
    const SHARED: &str = "not `self`: the value stays shared (behind `Handle`s) while it runs and closes; \
         write `&self`";
    const NOT_MUT: &str = "not `&mut self`: other handles may still use the value meanwhile; \
         write `&self` and use interior mutability (e.g. a `Mutex`)";
    match &receiver.kind {
        ReceiverKind::Reference(_, _, None) if receiver.mutability.is_none() => Ok(Receiver::Ref),
        ReceiverKind::Reference(_, _, Some(_)) => Err(NOT_MUT),
        ReceiverKind::Value | ReceiverKind::Reference(..) => Err(SHARED),
        ReceiverKind::Typed(_, ty) if receiver.mutability.is_none() => match &**ty {
            Type::Reference(reference) if reference.mutability.is_some() => Err(NOT_MUT),
            Type::Reference(reference) if is_self(&reference.elem) => Ok(Receiver::Ref),
            Type::Reference(reference) if is_arc_of_self(&reference.elem) => Ok(Receiver::RefArc),
            ty if is_arc_of_self(ty) => Ok(Receiver::Arc),
            ty if is_self(ty) => Err(SHARED),
            _ => Err(
                "the struct lives in an `Arc`: write `&self`, `self: Arc<Self>` or `self: &Arc<Self>`",
            ),
        },
        _ => Err(SHARED),
    }
}

/// `Self`.
fn is_self(ty: &Type) -> bool {
    match ty {
        Type::Path(path) => path.qself.is_none() && path.path.is_ident("Self"),
        Type::Paren(paren) => is_self(&paren.elem),
        Type::Group(group) => is_self(&group.elem),
        _ => false,
    }
}

/// `Arc<Self>`, as `Arc`, `std::sync::Arc` or any path ending in `Arc`
/// (one that is not the standard `Arc` is reported by rustc at the call).
fn is_arc_of_self(ty: &Type) -> bool {
    let Type::Path(path) = ty else {
        return false;
    };
    let Some(last) = path.path.segments.last() else {
        return false;
    };
    let syn::PathArguments::AngleBracketed(arguments) = &last.arguments else {
        return false;
    };
    last.ident == "Arc"
        && arguments.args.len() == 1
        && matches!(arguments.args.first(), Some(syn::GenericArgument::Type(inner)) if is_self(inner))
}

/// The hidden function `#[teardown]` / `#[run]` adds next to the method,
/// which the struct's `impl Spec` finds (see `NoHooks`):
///
/// ```text
/// pub(crate) fn __goprocess_teardown() -> krate::__private::TeardownHook<Self>
/// where
///     Self: 'static,
/// {
///     krate::__private::TeardownHook::new("method", hook)
/// }
/// ```
///
/// It is `pub(crate)` whatever the method's visibility: the struct's `impl
/// Spec` may be in another module, and an associated item it could not see
/// would be skipped for the empty fallback without a word. A function,
/// not a constant, so that the bounds a hook needs (`Self: 'static`, which
/// a struct that `#[process]` refused for its lifetime parameter lacks) are
/// assumed here and required where it is called. Its name and constructor
/// are located at the attribute: a second one on the type, or one in a
/// trait impl, is reported there.
pub(crate) fn hook_fn(
    krate: &syn::Path,
    method: &ImplItemFn,
    function: &str,
    hook_type: &str,
    hook: TokenStream,
) -> TokenStream {
    let function = syn::Ident::new(function, Span::call_site());
    let hook_type = syn::Ident::new(hook_type, Span::call_site());
    let method_name = syn::ext::IdentExt::unraw(&method.sig.ident).to_string();
    quote! {
        #[doc(hidden)]
        pub(crate) fn #function() -> #krate::__private::#hook_type<Self>
        where
            Self: 'static,
        {
            #krate::__private::#hook_type::new(#method_name, #hook)
        }
    }
}

/// `Self::method(&this, ..)`, as the receiver asks; `this` is the hook's
/// `Arc` of the struct.
pub(crate) fn receiver_argument(receiver: Receiver, this: &syn::Ident) -> Option<TokenStream> {
    match receiver {
        Receiver::None => None,
        Receiver::Ref | Receiver::RefArc => Some(quote!(&#this)),
        Receiver::Arc => Some(quote!(#this)),
    }
}

/// Where an error about what the method returns is reported: its return
/// type, or its name.
pub(crate) fn output_span(sig: &Signature) -> Span {
    match &sig.output {
        ReturnType::Type(_, ty) => syn::spanned::Spanned::span(&**ty),
        ReturnType::Default => sig.ident.span(),
    }
}
