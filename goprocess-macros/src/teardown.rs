//! `#[teardown]`: checks the method (and that a `timeout` is only asked of
//! an `async fn`), keeps it, and adds the hidden `__GOPROCESS_TEARDOWN`
//! that the struct's `impl Spec` finds.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::{Ident, ImplItemFn, Path};

use crate::attr::TeardownArgs;
use crate::ctxt::Ctxt;
use crate::expand::{default_crate, respan, with_errors};
use crate::method::{self, Kind};

/// `#[teardown]`, from arguments and item to output.
pub(crate) fn teardown(args: TokenStream, input: TokenStream) -> TokenStream {
    let cx = Ctxt::new();
    let args = TeardownArgs::parse(&cx, args);
    let krate = args.krate.clone().unwrap_or_else(default_crate);
    let Some(mut method) = method::parse(&cx, &input, Kind::Teardown) else {
        return with_errors(cx, input);
    };
    method::strip_conflicts(&cx, &mut method, Kind::Teardown);
    method::check_signature(&cx, &method.sig, Kind::Teardown);
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
    let timeout = args.timeout.map(|budget| budget.millis);
    let hook = hook(&krate, &method, timeout);
    with_errors(cx, quote!(#method #hook))
}

/// `const __GOPROCESS_TEARDOWN`. The call of the method is spanned at its
/// name, so a teardown that does not fit the runtime (its error is not
/// `Into<BoxError>`, its future is not `Send`) is reported there.
fn hook(krate: &Path, method: &ImplItemFn, timeout: Option<u64>) -> TokenStream {
    let sig = &method.sig;
    let name = &sig.ident;
    let span = name.span();
    let this = Ident::new("this", Span::mixed_site().located_at(span));
    let krate_there = respan(krate.to_token_stream(), span);
    let body = match (timeout, &sig.asyncness) {
        (Some(millis), Some(_)) => {
            let millis = proc_macro2::Literal::u64_unsuffixed(millis);
            quote_spanned! {span=>
                #krate_there::__private::async_teardown_within(
                    async move { Self::#name(&#this).await },
                    #krate_there::__private::Duration::from_millis(#millis),
                )
            }
        }
        (_, Some(_)) => quote_spanned! {span=>
            #krate_there::__private::async_teardown(async move { Self::#name(&#this).await })
        },
        (_, None) => quote_spanned! {span=>
            #krate_there::__private::sync_teardown(move || Self::#name(&#this))
        },
    };
    method::hook_const(
        method,
        "__GOPROCESS_TEARDOWN",
        quote!(#krate::__private::TeardownHook),
        quote!(|#this| #body),
    )
}
