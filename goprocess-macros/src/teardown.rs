//! `#[teardown]`: checks the method (and that a `timeout` is only asked of
//! an `async fn`), keeps it, and adds the hidden `__goprocess_teardown`
//! that the struct's `impl Spec` finds.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::{Ident, ImplItemFn, Path};

use crate::attr::TeardownArgs;
use crate::ctxt::Ctxt;
use crate::expand::{default_crate, duration, respan, with_errors};
use crate::manifest;
use crate::method::{self, Kind, Receiver};

/// `#[teardown]`, from arguments and item to output.
pub(crate) fn teardown(args: TokenStream, input: TokenStream) -> TokenStream {
    let cx = Ctxt::new();
    let args = TeardownArgs::parse(&cx, args);
    let krate = args.krate.clone().unwrap_or_else(default_crate);
    let Some(mut method) = method::parse(&cx, &input, Kind::Teardown) else {
        return with_errors(cx, input);
    };
    method::strip_conflicts(&cx, &mut method, Kind::Teardown);
    let checked = method::check_signature(&cx, &method.sig, Kind::Teardown);
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
    if args.krate.is_none()
        && let Err(message) = manifest::check_dependency()
    {
        cx.error_at(Span::call_site(), message);
    }
    if cx.has_errors() {
        return with_errors(cx, quote!(#method));
    }
    let timeout = args.timeout.map(|budget| budget.nanos);
    let reserve = args.reserve.map(|budget| budget.nanos);
    let hook = hook(&krate, &method, checked.receiver, timeout, reserve);
    with_errors(cx, quote!(#method #hook))
}

/// `fn __goprocess_teardown`. The call of the method is located at its
/// name, so a teardown that does not fit the runtime (its future is not
/// `Send`) is reported there; what it returns is checked at its return
/// type. A `reserve` is set on the hook (`.reserve(..)`), which the
/// struct's start gives its process.
fn hook(
    krate: &Path,
    method: &ImplItemFn,
    receiver: Receiver,
    timeout: Option<u64>,
    reserve: Option<u64>,
) -> TokenStream {
    let sig = &method.sig;
    let name = &sig.ident;
    let span = Span::call_site().located_at(name.span());
    let output = Span::call_site().located_at(method::output_span(sig));
    let this = Ident::new("this", Span::mixed_site());
    let argument = method::receiver_argument(receiver, &this);
    let param = match argument {
        Some(_) => quote!(#this),
        None => quote!(_),
    };
    let call = quote_spanned!(span=> Self::#name(#argument));
    let krate_out = respan(krate.to_token_stream(), output);
    let krate_at = respan(krate.to_token_stream(), name.span());
    let body = match (timeout, &sig.asyncness) {
        (Some(nanos), Some(_)) => {
            let budget = duration(krate, nanos);
            let result = quote_spanned!(output=> #krate_out::__private::Returned::new(#call.await).into_result());
            quote_spanned! {span=>
                #krate_at::__private::async_teardown_within(async move { #result }, #budget)
            }
        }
        (_, Some(_)) => {
            let result = quote_spanned!(output=> #krate_out::__private::Returned::new(#call.await).into_result());
            quote_spanned!(span=> #krate_at::__private::async_teardown(async move { #result }))
        }
        (_, None) => {
            let result =
                quote_spanned!(output=> #krate_out::__private::Returned::new(#call).into_result());
            quote_spanned!(span=> #krate_at::__private::sync_teardown(move || #result))
        }
    };
    let hook = quote!(|#param| { #body });
    let Some(nanos) = reserve else {
        return method::hook_fn(krate, method, "__goprocess_teardown", "TeardownHook", hook);
    };
    let reserve = duration(krate, nanos);
    let method_name = method::method_name(method);
    method::hook_fn_with(
        "__goprocess_teardown",
        quote!(#krate::__private::TeardownHook<Self>),
        quote!(#krate::__private::TeardownHook::new(#method_name, #hook).reserve(#reserve)),
    )
}
