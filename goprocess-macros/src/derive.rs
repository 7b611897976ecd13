//! The internal derive behind `#[process]`: `impl Marked` and `impl Spec`
//! (name, knobs, plan, wiring, hooks), generated from the struct as built,
//! once `cfg` and `cfg_attr` have run. `#[process]` checked the struct as
//! written and passed its helper attributes on as `#[__goprocess(..)]`; a
//! field left out by its `cfg` is simply not there, and a `#[wait_for(..)]`
//! entry that names it orders nothing.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::{Ident, ItemStruct, Token};

use crate::attr::{Escalation, OnFailure, derive_args};
use crate::check::{self, Stages};
use crate::ctxt::Ctxt;
use crate::expand::{duration, hooks, stub, with_errors};
use crate::model::{Field, Process, Role, Source};

/// The derive, from item to output.
pub(crate) fn derive(input: TokenStream) -> TokenStream {
    let cx = Ctxt::new();
    let item = match syn::parse2::<ItemStruct>(input) {
        Ok(item) => item,
        Err(error) => {
            cx.syn_error(error);
            return with_errors(cx, TokenStream::new());
        }
    };
    let args = derive_args(&cx, &item.attrs);
    let Some(process) = Process::from_ast(&cx, &item, args, Source::Derive) else {
        cx.error_at(
            item.ident.span(),
            "the internal derive of #[process] needs a struct with named fields or none; write `#[process]` instead",
        );
        return with_errors(cx, TokenStream::new());
    };
    check::check_names(&cx, &process, false);
    if cx.has_errors() {
        let stub = stub(&process.krate, &item.ident, &item.generics);
        return with_errors(cx, stub);
    }
    let stages = check::stages(&process);
    with_errors(cx, spec_impl(&process, &stages))
}

/// `impl Marked` and `impl Spec`.
fn spec_impl(process: &Process, stages: &Stages) -> TokenStream {
    let krate = &process.krate;
    let ident = &process.item.ident;
    let name = &process.name;
    let (impl_generics, ty_generics, where_clause) = process.item.generics.split_for_impl();
    let this = Token![self](Span::mixed_site());
    let wiring = Ident::new("wiring", Span::mixed_site());
    let statements = wiring_statements(process, &this, &wiring);
    let wiring_param = if statements.is_empty() {
        quote!(_)
    } else {
        wiring.to_token_stream()
    };
    let knobs = knobs(process);
    let plan = plan(process, stages);
    let hooks = hooks(krate, ident);
    quote! {
        #[automatically_derived]
        impl #impl_generics #krate::__private::Marked for #ident #ty_generics #where_clause {}

        #[automatically_derived]
        impl #impl_generics #krate::__private::Spec for #ident #ty_generics #where_clause {
            const NAME: &'static str = #name;
            #knobs
            const PLAN: #krate::__private::Plan = #plan;

            fn wire(&#this, #wiring_param: &mut #krate::__private::Wiring<'_>) {
                #(#statements)*
            }

            #hooks
        }
    }
}

/// The constants of the `#[process(..)]` arguments that were given.
fn knobs(process: &Process) -> TokenStream {
    let krate = &process.krate;
    let args = &process.args;
    let close_timeout = args.close_timeout.as_ref().map(|budget| {
        let duration = duration(krate, budget.nanos);
        quote! {
            const CLOSE_TIMEOUT: ::core::option::Option<#krate::__private::Duration> =
                ::core::option::Option::Some(#duration);
        }
    });
    let escalation = args.escalation.map(|escalation| {
        let variant = match escalation {
            Escalation::Abort => quote!(Abort),
            Escalation::Detach => quote!(Detach),
        };
        quote! {
            const ESCALATION: #krate::__private::Escalation = #krate::__private::Escalation::#variant;
        }
    });
    let policy = |policy: OnFailure| match policy {
        OnFailure::Isolate => quote!(Isolate),
        OnFailure::Propagate => quote!(Propagate),
    };
    let on_failure = args.on_failure.map(|on_failure| {
        let variant = policy(on_failure);
        quote! {
            const ON_FAILURE: ::core::option::Option<#krate::__private::OnFailure> =
                ::core::option::Option::Some(#krate::__private::OnFailure::#variant);
        }
    });
    let children_on_failure = args.children_on_failure.map(|on_failure| {
        let variant = policy(on_failure);
        quote! {
            const CHILDREN_ON_FAILURE: ::core::option::Option<#krate::__private::OnFailure> =
                ::core::option::Option::Some(#krate::__private::OnFailure::#variant);
        }
    });
    quote!(#close_timeout #escalation #on_failure #children_on_failure)
}

/// The `#[wait_for(..)]` targets of `field` that are `#[child]` fields of
/// the struct as built, by field name.
fn targets(process: &Process, field: &Field) -> Vec<String> {
    field
        .wait_targets()
        .iter()
        .map(|target| target.unraw().to_string())
        .filter(|target| {
            process
                .field(target)
                .is_some_and(|(_, target)| target.role() == Role::Child)
        })
        .collect()
}

/// The wiring of every field with a role: the fields named in a
/// `#[wait_for(..)]` before the fields that name them, otherwise in
/// declaration order.
fn wiring_statements(process: &Process, this: &Token![self], wiring: &Ident) -> Vec<TokenStream> {
    wiring_order(process)
        .into_iter()
        .filter_map(|index| wire_field(process, &process.fields[index], this, wiring))
        .collect()
}

/// Field indices in declaration order, each `#[wait_for(..)]` field moved
/// after the siblings it names (`#[process]` refused cycles).
fn wiring_order(process: &Process) -> Vec<usize> {
    let waits: Vec<Vec<usize>> = process
        .fields
        .iter()
        .map(|field| {
            targets(process, field)
                .iter()
                .filter_map(|target| process.field(target))
                .map(|(index, _)| index)
                .collect()
        })
        .collect();
    let mut placed = vec![false; waits.len()];
    let mut order = Vec::with_capacity(waits.len());
    while order.len() < waits.len() {
        let next = (0..waits.len())
            .find(|&i| !placed[i] && waits[i].iter().all(|t| placed[*t] || *t == i));
        let Some(next) = next.or_else(|| (0..waits.len()).find(|&i| !placed[i])) else {
            break;
        };
        placed[next] = true;
        order.push(next);
    }
    order
}

/// The `Wiring` call of one field, if it has a role. The field's type,
/// with its own tokens, is the call's one `Field` bound, so a type that is
/// not a `Field` is reported once, there; the rest is located at the
/// field's name. `self` has the hygiene of the method's receiver (the
/// field's name may come from a `macro_rules!`, with other hygiene).
fn wire_field(
    process: &Process,
    field: &Field,
    this: &Token![self],
    wiring: &Ident,
) -> Option<TokenStream> {
    let name = &field.name;
    let ty = field.ty;
    let span = Span::call_site().located_at(field.ident.span());
    let member = field.ident;
    let value = quote_spanned!(span=> &#this.#member);
    let renamed = field
        .rename()
        .map(|name| quote_spanned!(span=> .named(#name)));
    let call = match field.role() {
        Role::Plain => return None,
        Role::Child => {
            let after = targets(process, field);
            if after.is_empty() {
                quote_spanned!(span=> #wiring #renamed .child::<#ty>(#name, #value))
            } else {
                quote_spanned!(span=> #wiring #renamed .child_after::<#ty>(#name, #value, &[#(#after),*]))
            }
        }
        Role::ChildNoWait => {
            quote_spanned!(span=> #wiring #renamed .child_no_wait::<#ty>(#name, #value))
        }
        Role::WaitFor => quote_spanned!(span=> #wiring.wait_for::<#ty>(#name, #value)),
    };
    Some(quote_spanned!(span=> #call;))
}

/// `const PLAN`: the stages by process name (and reversed, the start
/// stages), and every field with a role, with the plan of the `#[process]`
/// struct it holds, if any (found from its type: see `Nested`).
fn plan(process: &Process, stages: &Stages) -> TokenStream {
    let krate = &process.krate;
    let stage_names: Vec<TokenStream> = stages
        .iter()
        .map(|stage| {
            let names = stage
                .iter()
                .map(|index| process.fields[*index].process_name());
            quote!(&[#(#names),*])
        })
        .collect();
    let startup = stage_names.iter().rev();
    let fields = process.fields.iter().filter_map(|field| {
        let name = &field.name;
        let mut entry = match field.role() {
            Role::Plain => return None,
            Role::Child => quote!(#krate::__private::PlanField::child(#name)),
            Role::ChildNoWait => quote!(#krate::__private::PlanField::no_wait(#name)),
            Role::WaitFor => quote!(#krate::__private::PlanField::wait_for(#name)),
        };
        if let Some(renamed) = field.rename() {
            let renamed = renamed.value();
            entry = quote!(#entry.named(#renamed));
        }
        let after = targets(process, field);
        if !after.is_empty() {
            entry = quote!(#entry.after(&[#(#after),*]));
        }
        let ty = field.ty;
        Some(quote!(#entry.nested(|| #krate::__private::Nested::<#ty>::NEW.plan())))
    });
    quote! {
        #krate::__private::Plan {
            stages: &[#(#stage_names),*],
            startup: &[#(#startup),*],
            fields: &[#(#fields),*],
        }
    }
}
