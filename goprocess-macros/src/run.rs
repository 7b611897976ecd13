//! `#[run]`: checks the method, keeps it, and adds the hidden
//! `__goprocess_run` that the struct's `impl Spec` finds; `start()` runs it
//! as the function of the struct's process, after the struct's `#[init]`
//! (whose value it may take) and prepared parts.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, ImplItemFn, Path, Type};

use crate::attr::RunArgs;
use crate::ctxt::Ctxt;
use crate::expand::{default_crate, respan, with_errors};
use crate::manifest;
use crate::method::{self, Kind, Receiver};
use crate::symbol::RUN;

/// `#[run]`, from arguments and item to output.
pub(crate) fn run(args: TokenStream, input: TokenStream) -> TokenStream {
    let cx = Ctxt::new();
    let args = RunArgs::parse(&cx, RUN, args);
    let krate = args.krate.clone().unwrap_or_else(default_crate);
    let Some(mut method) = method::parse(&cx, &input, Kind::Run) else {
        return with_errors(cx, input);
    };
    method::strip_conflicts(&cx, &mut method, Kind::Run);
    let checked = method::check_signature(&cx, &method.sig, Kind::Run);
    let receiver = checked.receiver;
    let (process_arg, value_arg) = (checked.process_arg.cloned(), checked.value_arg.cloned());
    if args.krate.is_none()
        && let Err(message) = manifest::check_dependency()
    {
        cx.error_at(Span::call_site(), message);
        return with_errors(cx, quote!(#method));
    }
    if cx.has_errors() {
        // A hook that starts nothing, so that the `#[init]` whose value
        // this run was to take adds no error of its own.
        let stub = method::hook_fn_with(
            "__goprocess_run",
            quote!(#krate::__private::RunHook<Self>),
            quote!(#krate::__private::RunHook::NONE),
        );
        return with_errors(cx, quote!(#method #stub));
    }
    let hook = hook(
        &krate,
        &method,
        receiver,
        process_arg.as_ref(),
        value_arg.as_ref(),
    );
    mark_async_as_required(&mut method);
    with_errors(cx, quote!(#method #hook))
}

/// A `#[run]` must be an `async fn`, even one that awaits nothing (it is
/// the struct's process function). Lints on the function as a whole, such
/// as clippy's `unused_async` ("remove `async`"), cannot know that: the
/// first token of its signature is marked as the macro's (at the same
/// place), which such lints skip. Lints on its body still see the user's
/// code.
fn mark_async_as_required(method: &mut ImplItemFn) {
    let at = |span: Span| Span::call_site().located_at(span);
    match &mut method.vis {
        syn::Visibility::Public(token) => token.span = at(token.span),
        syn::Visibility::Restricted(restricted) => {
            restricted.pub_token.span = at(restricted.pub_token.span);
        }
        syn::Visibility::Inherited => {
            if let Some(token) = &mut method.sig.asyncness {
                token.span = at(token.span);
            }
        }
    }
}

/// `fn __goprocess_run`: starts the method in a task, once the struct's
/// `#[init]` (`Self::__goprocess_init()`, the fallback without one) and
/// prepared parts are done, passing the struct's process and the init's
/// value when the method takes them. The call of the method is located at
/// its name (a future that is not `Send` is reported there), what it
/// returns at its return type, the process argument at the argument's type
/// (one that is not a `Process` is reported there), the init's value at
/// the value argument's type (or at the name, when the run takes none): a
/// value of another type, or one the run does not take, is reported there.
/// The method is named as a value before it is called: it must be an
/// `async fn` even when it awaits nothing, which clippy's `unused_async`
/// then knows.
fn hook(
    krate: &Path,
    method: &ImplItemFn,
    receiver: Receiver,
    process_arg: Option<&Type>,
    value_arg: Option<&Type>,
) -> TokenStream {
    let sig = &method.sig;
    let name = &sig.ident;
    let span = Span::call_site().located_at(name.span());
    let output = Span::call_site().located_at(method::output_span(sig));
    let this = Ident::new("this", Span::mixed_site());
    let process = Ident::new("process", Span::mixed_site());
    let me = Ident::new("me", Span::mixed_site());
    let boot = Ident::new("boot", Span::mixed_site());
    let value = Ident::new("value", Span::mixed_site());
    let init_output = Ident::new("output", Span::mixed_site());
    let function = Ident::new("method", Span::mixed_site());
    let mut arguments: Vec<TokenStream> = method::receiver_argument(receiver, &this)
        .into_iter()
        .collect();
    if let Some(ty) = process_arg {
        let at = ty.span();
        let krate_at = respan(krate.to_token_stream(), at);
        let at = Span::call_site().located_at(at);
        arguments.push(quote_spanned!(at=> #krate_at::__private::run_arg(#me)));
    }
    let unused_value = match value_arg {
        Some(ty) => {
            let at = ty.span();
            let krate_at = respan(krate.to_token_stream(), at);
            let ty_at = respan(ty.to_token_stream(), at);
            let at = Span::call_site().located_at(at);
            arguments.push(quote_spanned!(at=> #krate_at::__private::hand::<_, #ty_at>(#value)));
            None
        }
        None => {
            let krate_at = respan(krate.to_token_stream(), name.span());
            let value_at = Ident::new("value", Span::mixed_site().located_at(name.span()));
            Some(quote_spanned!(span=> #krate_at::__private::nothing(#value_at);))
        }
    };
    let call = quote_spanned!(span=> #function(#(#arguments),*));
    let krate_out = respan(krate.to_token_stream(), method::output_span(sig));
    let result =
        quote_spanned!(output=> #krate_out::__private::Returned::new(#call.await).into_result());
    let krate_at = respan(krate.to_token_stream(), name.span());
    let body = quote_spanned! {span=>
        #krate_at::__private::run(#this, #process, #boot, |#this, #me, #boot| async move {
            let #function = Self::#name;
            let ::core::option::Option::Some(#value) = #boot
                .start(Self::__goprocess_init(), &#this, &#me, |#init_output| {
                    #krate_at::__private::Returned::new(#init_output).init_value()
                })
                .await
            else {
                return ::core::result::Result::Ok(());
            };
            #unused_value
            #result
        })
    };
    let method_name = method::method_name(method);
    method::hook_fn_with(
        "__goprocess_run",
        quote!(#krate::__private::RunHook<Self>),
        quote! {
            use #krate::__private::NoHooks as _;
            #krate::__private::RunHook::new(#method_name, |#this, #process, #boot| { #body })
        },
    )
}
