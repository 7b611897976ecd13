//! `#[run]`: checks the method, keeps it, and adds the hidden
//! `__GOPROCESS_RUN` that the struct's `impl Spec` finds; `start()` runs it
//! as the function of the struct's process.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, ImplItemFn, Path, Type};

use crate::attr::RunArgs;
use crate::ctxt::Ctxt;
use crate::expand::{default_crate, respan, with_errors};
use crate::method::{self, Kind};

/// `#[run]`, from arguments and item to output.
pub(crate) fn run(args: TokenStream, input: TokenStream) -> TokenStream {
    let cx = Ctxt::new();
    let args = RunArgs::parse(&cx, args);
    let krate = args.krate.clone().unwrap_or_else(default_crate);
    let Some(mut method) = method::parse(&cx, &input, Kind::Run) else {
        return with_errors(cx, input);
    };
    method::strip_conflicts(&cx, &mut method, Kind::Run);
    let process_arg = method::check_signature(&cx, &method.sig, Kind::Run).cloned();
    if cx.has_errors() {
        return with_errors(cx, quote!(#method));
    }
    let hook = hook(&krate, &method, process_arg.as_ref());
    with_errors(cx, quote!(#method #hook))
}

/// `const __GOPROCESS_RUN`: starts the method in a task, passing the
/// struct's process when the method takes it. The call of the method is
/// spanned at its name (a future that is not `Send`, an error that is not
/// `Into<BoxError>` are reported there), the process argument at the
/// argument's type (one that is not a `Process` is reported there).
fn hook(krate: &Path, method: &ImplItemFn, process_arg: Option<&Type>) -> TokenStream {
    let name = &method.sig.ident;
    let span = name.span();
    let this = Ident::new("this", Span::mixed_site().located_at(span));
    let process = Ident::new("process", Span::mixed_site().located_at(span));
    let me = Ident::new("me", Span::mixed_site().located_at(span));
    let krate_there = respan(krate.to_token_stream(), span);
    let (me_param, call) = match process_arg {
        Some(ty) => {
            let at = ty.span();
            let krate_at = respan(krate.to_token_stream(), at);
            let me_at = Ident::new("me", Span::mixed_site().located_at(at));
            let argument = quote_spanned!(at=> #krate_at::__private::run_arg(#me_at));
            (
                quote!(#me),
                quote_spanned!(span=> Self::#name(&#this, #argument)),
            )
        }
        None => (quote!(_), quote_spanned!(span=> Self::#name(&#this))),
    };
    let body = quote_spanned! {span=>
        #krate_there::__private::run(#this, #process, |#this, #me_param| async move { #call.await })
    };
    method::hook_const(
        method,
        "__GOPROCESS_RUN",
        quote!(#krate::__private::RunHook),
        quote!(|#this, #process| #body),
    )
}
