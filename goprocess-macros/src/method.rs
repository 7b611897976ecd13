//! What `#[teardown]`, `#[run]` and `#[init]` share: reading the method,
//! checking its signature, and the hidden function each adds next to it
//! (the hook that the struct's `impl Spec` finds).

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{FnArg, ImplItemFn, ReceiverKind, ReturnType, Safety, Signature, Type};

use crate::ctxt::Ctxt;
use crate::symbol::{INIT, RUN, Symbol, TEARDOWN, names_macro};

/// Which of the three method attributes.
#[derive(Copy, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    Teardown,
    Run,
    Init,
}

impl Kind {
    const ALL: [Kind; 3] = [Kind::Teardown, Kind::Run, Kind::Init];

    pub(crate) fn symbol(self) -> Symbol {
        match self {
            Kind::Teardown => TEARDOWN,
            Kind::Run => RUN,
            Kind::Init => INIT,
        }
    }

    /// What the method is to its struct, for "cannot be both" errors.
    fn role(self) -> &'static str {
        match self {
            Kind::Teardown => "the teardown runs once, last, after the run has returned",
            Kind::Run => "the run is the struct's main loop",
            Kind::Init => "the init runs once, first, before the struct's fields start",
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
            Kind::Init => {
                "#[init] goes on one method of the struct's inherent impl: \
                 `impl MyProcess { #[init] async fn bind(&self) -> Result<TcpListener, MyError> { .. } }`"
            }
        }
    }

    /// What the method may take, in words.
    fn takes(self) -> &'static str {
        match self {
            Kind::Teardown => "`&self` (or no `self`)",
            Kind::Run => {
                "`&self` (or no `self`), optionally the struct's `Process`, and last, optionally, \
                 the value its `#[init]` returns"
            }
            Kind::Init => "`&self` (or no `self`), and optionally the struct's `Process`",
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

/// Removes a second copy of the attribute, and the other method
/// attributes (a method is the teardown, the run or the init of its
/// struct, not two of them), reporting each.
pub(crate) fn strip_conflicts(cx: &Ctxt, method: &mut ImplItemFn, kind: Kind) {
    let name = method.sig.ident.to_string();
    method.attrs.retain(|attr| {
        let path = attr.path();
        if names_macro(path, kind.symbol()) {
            cx.error_spanned_by(
                attr,
                format!("duplicate #[{}] on this method; remove this one", kind.symbol()),
            );
            return false;
        }
        let Some(other) = Kind::ALL
            .into_iter()
            .find(|other| *other != kind && names_macro(path, other.symbol()))
        else {
            return true;
        };
        cx.error_spanned_by(
            attr,
            format!(
                "`{name}` cannot be both the #[{}] and the #[{}] of its struct ({}; {}); use two methods",
                kind.symbol(),
                other.symbol(),
                kind.role(),
                other.role()
            ),
        );
        false
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
    /// The type of the `Process` argument of a `#[run]` or `#[init]`, if
    /// it takes one.
    pub(crate) process_arg: Option<&'a Type>,
    /// The type of the value a `#[run]` takes from its `#[init]`, if it
    /// takes one.
    pub(crate) value_arg: Option<&'a Type>,
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
    if kind == Kind::Init && sig.asyncness.is_none() {
        cx.error_spanned_by(
            sig.fn_token,
            format!(
                "#[init] method `{name}` must be an `async fn`: it runs in the struct's start task, and is dropped \
                 if the struct closes before it returns; write `async fn {name}(&self)`"
            ),
        );
    }
    if kind == Kind::Init
        && let ReturnType::Type(_, ty) = &sig.output
        && let Some(impl_trait) = find_impl_trait(ty)
    {
        cx.error_spanned_by(
            impl_trait,
            format!(
                "#[init] method `{name}` must name the type it returns, not `impl Trait`: its `#[run]` takes the value \
                 with that type; write the type (or box it: `Box<dyn Trait + Send>`)"
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
    let extras: Vec<&FnArg> = inputs.collect();
    // A `#[run]`'s arguments: `Process`, then the init's value; alone, an
    // argument is the process if its type is written `Process`, else the
    // value.
    let (process, value) = match (kind, extras.as_slice()) {
        (Kind::Teardown, _) | (_, []) => (None, None),
        (Kind::Init, [first, ..]) => (Some(*first), None),
        (Kind::Run, [only]) if typed(only).is_some_and(is_process_type) => (Some(*only), None),
        (Kind::Run, [only]) if matches!(typed(only), Some(Type::ImplTrait(_))) => {
            if let Some(Type::ImplTrait(impl_trait)) = typed(only) {
                cx.error_spanned_by(
                    impl_trait,
                    format!(
                        "#[run] method `{name}` is passed its argument by the runtime, so its type cannot be left to \
                         `impl Trait`: for the struct's own process write `me: Process`; for the value its `#[init]` \
                         returns, write that type"
                    ),
                );
            }
            return Checked {
                receiver,
                process_arg: None,
                value_arg: None,
            };
        }
        (Kind::Run, [only]) => (None, Some(*only)),
        (Kind::Run, [first, second, ..]) => (Some(*first), Some(*second)),
    };
    let taken = usize::from(process.is_some()) + usize::from(value.is_some());
    for extra in extras.iter().skip(taken) {
        cx.error_spanned_by(
            extra,
            format!(
                "#[{attr}] method `{name}` takes only {}; remove this parameter",
                kind.takes()
            ),
        );
    }
    let process_arg = process.and_then(|arg| process_type(cx, arg, kind, name));
    let value_arg = value.and_then(|arg| value_type(cx, arg, name));
    Checked {
        receiver,
        process_arg,
        value_arg,
    }
}

fn typed(arg: &FnArg) -> Option<&Type> {
    match arg {
        FnArg::Typed(argument) => Some(&argument.ty),
        FnArg::Receiver(_) => None,
    }
}

/// A type written `Process` (a path ending in `Process`, without generic
/// arguments), or a reference to one (refused by [`process_type`]).
fn is_process_type(ty: &Type) -> bool {
    match ty {
        Type::Path(path) => {
            path.qself.is_none()
                && path.path.segments.last().is_some_and(|segment| {
                    segment.ident == "Process" && segment.arguments.is_none()
                })
        }
        Type::Reference(reference) => is_process_type(&reference.elem),
        Type::Paren(paren) => is_process_type(&paren.elem),
        Type::Group(group) => is_process_type(&group.elem),
        _ => false,
    }
}

/// The type of the process argument, or `None` (reported) if it cannot be.
fn process_type<'a>(cx: &Ctxt, arg: &'a FnArg, kind: Kind, name: &syn::Ident) -> Option<&'a Type> {
    let attr = kind.symbol();
    match typed(arg)? {
        Type::Reference(reference) => {
            cx.error_spanned_by(
                reference,
                format!(
                    "#[{attr}] method `{name}` takes its process by value (a `Process` is a cheap handle): \
                     write `me: Process`"
                ),
            );
            None
        }
        Type::ImplTrait(impl_trait) => {
            cx.error_spanned_by(
                impl_trait,
                format!(
                    "#[{attr}] method `{name}` is passed the struct's own `Process`, so its type cannot be left to \
                     `impl Trait`: write `me: Process` (a `Process` is `AsProcess`, `Clone` and cheap)"
                ),
            );
            None
        }
        ty => Some(ty),
    }
}

/// The type of the value a `#[run]` takes from its `#[init]`, or `None`
/// (reported) if it cannot be.
fn value_type<'a>(cx: &Ctxt, arg: &'a FnArg, name: &syn::Ident) -> Option<&'a Type> {
    match typed(arg)? {
        Type::ImplTrait(impl_trait) => {
            cx.error_spanned_by(
                impl_trait,
                format!(
                    "#[run] method `{name}` is passed the value its `#[init]` returns, so its type cannot be left to \
                     `impl Trait`: write the type the `#[init]` returns"
                ),
            );
            None
        }
        ty => Some(ty),
    }
}

/// Whether `ty` has an `impl Trait` in it (where a type must be named).
pub(crate) fn has_impl_trait(ty: &Type) -> bool {
    find_impl_trait(ty).is_some()
}

/// The first `impl Trait` in `ty`, if any.
fn find_impl_trait(ty: &Type) -> Option<&syn::TypeImplTrait> {
    match ty {
        Type::ImplTrait(impl_trait) => Some(impl_trait),
        Type::Paren(paren) => find_impl_trait(&paren.elem),
        Type::Group(group) => find_impl_trait(&group.elem),
        Type::Reference(reference) => find_impl_trait(&reference.elem),
        Type::Array(array) => find_impl_trait(&array.elem),
        Type::Slice(slice) => find_impl_trait(&slice.elem),
        Type::Tuple(tuple) => tuple.elems.iter().find_map(find_impl_trait),
        Type::Path(path) => path.path.segments.iter().find_map(|segment| {
            let syn::PathArguments::AngleBracketed(arguments) = &segment.arguments else {
                return None;
            };
            arguments.args.iter().find_map(|argument| match argument {
                syn::GenericArgument::Type(ty) => find_impl_trait(ty),
                _ => None,
            })
        }),
        _ => None,
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

/// The hidden function `#[teardown]` / `#[run]` / `#[init]` adds next to
/// the method,
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
    let method_name = method_name(method);
    let hook_type_ident = syn::Ident::new(hook_type, Span::call_site());
    hook_fn_with(
        function,
        quote!(#krate::__private::#hook_type_ident<Self>),
        quote!(#krate::__private::#hook_type_ident::new(#method_name, #hook)),
    )
}

/// [`hook_fn`] with the function's return type and body given. The body
/// can name the other hooks of the struct (`Self::__goprocess_init()`):
/// `NoHooks` is in scope, for the fallbacks.
pub(crate) fn hook_fn_with(function: &str, returns: TokenStream, body: TokenStream) -> TokenStream {
    let function = syn::Ident::new(function, Span::call_site());
    quote! {
        #[doc(hidden)]
        pub(crate) fn #function() -> #returns
        where
            Self: 'static,
        {
            #body
        }
    }
}

/// The method's name, without `r#`.
pub(crate) fn method_name(method: &ImplItemFn) -> String {
    syn::ext::IdentExt::unraw(&method.sig.ident).to_string()
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
