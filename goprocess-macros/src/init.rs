//! `#[init]`: checks the method, keeps it, and adds the hidden
//! `__goprocess_init` that the struct's `impl Spec` (and its `#[run]`'s
//! hook) finds: the struct's start runs it first, and hands what it
//! returns to the `#[run]`.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::{Ident, ImplItemFn, Path, ReturnType};

use crate::attr::RunArgs;
use crate::ctxt::Ctxt;
use crate::expand::{default_crate, respan, with_errors};
use crate::manifest;
use crate::method::{self, Kind, Receiver};
use crate::symbol::INIT;

/// `#[init]`, from arguments and item to output.
pub(crate) fn init(args: TokenStream, input: TokenStream) -> TokenStream {
    let cx = Ctxt::new();
    let args = RunArgs::parse(&cx, INIT, args);
    let krate = args.krate.clone().unwrap_or_else(default_crate);
    let Some(mut method) = method::parse(&cx, &input, Kind::Init) else {
        return with_errors(cx, input);
    };
    method::strip_conflicts(&cx, &mut method, Kind::Init);
    let checked = method::check_signature(&cx, &method.sig, Kind::Init);
    let receiver = checked.receiver;
    let process_arg = checked.process_arg.is_some();
    if args.krate.is_none()
        && let Err(message) = manifest::check_dependency()
    {
        cx.error_at(Span::call_site(), message);
        return with_errors(cx, quote!(#method));
    }
    if cx.has_errors() {
        // A hook of the method's type that runs nothing, so that the
        // `#[run]` that takes its value adds no error of its own.
        let returns = match &method.sig.output {
            ReturnType::Type(_, ty) if !method::has_impl_trait(ty) => ty.to_token_stream(),
            _ => quote!(()),
        };
        let stub = method::hook_fn_with(
            "__goprocess_init",
            quote!(#krate::__private::InitHook<Self, #returns>),
            quote!(#krate::__private::InitHook::STUB),
        );
        return with_errors(cx, quote!(#method #stub));
    }
    let hook = hook(&krate, &method, receiver, process_arg);
    with_errors(cx, quote!(#method #hook))
}

/// `fn __goprocess_init`: the method's future, boxed, typed by what the
/// method returns (the `#[run]`'s hook calls it, and gets the value with
/// its type), and the start of a struct without `#[run]`, whose `#[init]`
/// must then hand nothing (checked at the return type). The call of the
/// method is located at its name (a future that is not `Send` is reported
/// there).
fn hook(krate: &Path, method: &ImplItemFn, receiver: Receiver, process_arg: bool) -> TokenStream {
    let sig = &method.sig;
    let name = &sig.ident;
    let span = Span::call_site().located_at(name.span());
    let output_span = method::output_span(sig);
    let output = Span::call_site().located_at(output_span);
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
    let this_param = match receiver {
        Receiver::None => quote!(_),
        _ => quote!(#this),
    };
    let process_param = if process_arg {
        let krate_at = respan(krate.to_token_stream(), span);
        arguments.push(quote_spanned!(span=> #krate_at::__private::run_arg(#process)));
        quote!(#process)
    } else {
        quote!(_)
    };
    let returns = match &sig.output {
        ReturnType::Type(_, ty) => ty.to_token_stream(),
        ReturnType::Default => quote!(()),
    };
    let krate_at = respan(krate.to_token_stream(), name.span());
    let krate_out = respan(krate.to_token_stream(), output_span);
    let call = quote_spanned! {span=>
        |#this_param, #process_param| #krate_at::__private::init_future(async move {
            let #function = Self::#name;
            #function(#(#arguments),*).await
        })
    };
    let value_out = Ident::new("value", Span::mixed_site().located_at(output_span));
    let into_init =
        quote_spanned!(output=> #krate_out::__private::Returned::new(#init_output).into_init());
    let unused = quote_spanned!(output=> #krate_out::__private::unused(Self::__goprocess_run(), #value_out););
    let mut alone_arguments: Vec<TokenStream> = method::receiver_argument(receiver, &this)
        .into_iter()
        .collect();
    if process_arg {
        let krate_at = respan(krate.to_token_stream(), span);
        alone_arguments.push(quote_spanned!(span=> #krate_at::__private::run_arg(#me)));
    }
    let me_param = if process_arg { quote!(#me) } else { quote!(_) };
    let alone = quote_spanned! {span=>
        |#this, #boot| #krate_at::__private::alone(#this, #boot, |#this_param, #me_param, #boot| async move {
            let #function = Self::#name;
            let ::core::option::Option::Some(#value) = #boot
                .init(#function(#(#alone_arguments),*), |#init_output| #into_init)
                .await
            else {
                return ::core::result::Result::Ok(());
            };
            #unused
            ::core::result::Result::Ok(())
        })
    };
    let method_name = method::method_name(method);
    let awaits = format!("#[init] `{method_name}`");
    method::hook_fn_with(
        "__goprocess_init",
        quote!(#krate::__private::InitHook<Self, #returns>),
        quote! {
            use #krate::__private::NoHooks as _;
            #krate::__private::InitHook::new(#method_name, #awaits, #call, #alone)
        },
    )
}
