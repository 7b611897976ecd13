//! Code generation for `#[process]`: the struct without its helper
//! attributes, and `impl Spec` (name, knobs, plan, wiring, hooks).

use proc_macro2::{Group, Span, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Fields, GenericParam, Generics, Ident, Item, ItemStruct, Path, Type};

use crate::attr::{Escalation, OnFailure, ProcessArgs, is_field_helper};
use crate::check::{self, Stages};
use crate::ctxt::Ctxt;
use crate::model::{Field, Process, Role};

/// `#[process]`, from arguments and item to output.
pub(crate) fn process(args: TokenStream, input: TokenStream) -> TokenStream {
    let cx = Ctxt::new();
    let args = ProcessArgs::parse(&cx, args);
    let krate = args.krate.clone().unwrap_or_else(default_crate);
    let item = match syn::parse2::<Item>(input.clone()) {
        Ok(item) => item,
        Err(error) => {
            cx.syn_error(error);
            return with_errors(cx, input);
        }
    };
    match item {
        Item::Struct(item) => process_struct(cx, &item, args),
        Item::Enum(mut item) => {
            check::check_struct_attrs(&cx, &item.attrs);
            item.attrs
                .retain(|attr| !check::is_misplaced_struct_attr(attr));
            for variant in &mut item.variants {
                strip_field_helpers(&mut variant.fields);
            }
            cx.error_spanned_by(
                item.enum_token,
                format!(
                    "#[process] needs a struct with named fields, not an enum: \
                     write `struct {} {{ #[child] field: Type, .. }}`",
                    item.ident
                ),
            );
            let stub = stub(&krate, &item.ident, &item.generics);
            with_errors(cx, quote!(#item #stub))
        }
        Item::Union(mut item) => {
            check::check_struct_attrs(&cx, &item.attrs);
            item.attrs
                .retain(|attr| !check::is_misplaced_struct_attr(attr));
            for field in item.fields.named.iter_mut() {
                field.attrs.retain(|attr| !is_field_helper(attr));
            }
            cx.error_spanned_by(
                item.union_token,
                format!(
                    "#[process] needs a struct with named fields, not a union: \
                     write `struct {} {{ #[child] field: Type, .. }}`",
                    item.ident
                ),
            );
            let stub = stub(&krate, &item.ident, &item.generics);
            with_errors(cx, quote!(#item #stub))
        }
        other => {
            cx.error_at(
                span_of_item_keyword(&other),
                "#[process] goes on a struct with named fields, e.g. `#[process] struct App { #[child] http: Handle<Http> }`",
            );
            with_errors(cx, other.into_token_stream())
        }
    }
}

fn process_struct(cx: Ctxt, item: &ItemStruct, args: ProcessArgs) -> TokenStream {
    let stripped = strip_helpers(item);
    let krate = args.krate.clone().unwrap_or_else(default_crate);
    let Some(process) = Process::from_ast(&cx, item, args) else {
        check::check_struct_attrs(&cx, &item.attrs);
        let what = if matches!(item.fields, Fields::Unit) {
            format!(
                "#[process] needs a struct with named fields, not a unit struct; \
                 write `struct {} {{}}` for a process without fields",
                item.ident
            )
        } else {
            format!(
                "#[process] needs named fields, which #[wait_for(..)] and the shutdown plan refer to; \
                 write `struct {} {{ name: Type, .. }}` instead of a tuple struct",
                item.ident
            )
        };
        let span = match &item.fields {
            Fields::Unnamed(fields) => fields.paren_token.span.join(),
            _ => item.ident.span(),
        };
        cx.error_at(span, what);
        let stub = stub(&krate, &item.ident, &item.generics);
        return with_errors(cx, quote!(#stripped #stub));
    };
    let stages = check::check(&cx, &process);
    let output = if !cx.has_errors() {
        let spec = spec_impl(&process, &stages);
        quote!(#stripped #spec)
    } else if item.generics.lifetimes().next().is_none() {
        let stub = stub(&krate, &item.ident, &item.generics);
        quote!(#stripped #stub)
    } else {
        stripped.into_token_stream()
    };
    with_errors(cx, output)
}

/// `::goprocess`.
pub(crate) fn default_crate() -> Path {
    syn::parse_quote!(::goprocess)
}

/// `tokens` with every span set to `span` (keeping each token's hygiene is
/// not needed: paths in generated code are absolute or user-given).
pub(crate) fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            if let TokenTree::Group(group) = &token {
                let mut respanned = Group::new(group.delimiter(), respan(group.stream(), span));
                respanned.set_span(span);
                token = TokenTree::Group(respanned);
            } else {
                token.set_span(span);
            }
            token
        })
        .collect()
}

/// `output`, followed by the errors recorded in `cx`, if any.
pub(crate) fn with_errors(cx: Ctxt, output: TokenStream) -> TokenStream {
    match cx.check() {
        Ok(()) => output,
        Err(errors) => quote!(#output #errors),
    }
}

fn span_of_item_keyword(item: &Item) -> Span {
    match item {
        Item::Fn(item) => item.sig.fn_token.span,
        Item::Impl(item) => item.impl_token.span,
        Item::Trait(item) => item.trait_token.span,
        Item::Mod(item) => item.mod_token.span,
        Item::Type(item) => item.type_token.span,
        other => other.span(),
    }
}

/// The struct as the user wrote it, minus the attributes `#[process]` reads.
fn strip_helpers(item: &ItemStruct) -> ItemStruct {
    let mut item = item.clone();
    item.attrs
        .retain(|attr| !check::is_misplaced_struct_attr(attr));
    strip_field_helpers(&mut item.fields);
    item
}

fn strip_field_helpers(fields: &mut Fields) {
    for field in fields.iter_mut() {
        field.attrs.retain(|attr| !is_field_helper(attr));
    }
}

/// `impl Spec for S`.
fn spec_impl(process: &Process, stages: &Stages) -> TokenStream {
    let krate = &process.krate;
    let ident = &process.item.ident;
    let name = &process.name;
    let (impl_generics, ty_generics, where_clause) = process.item.generics.split_for_impl();
    let wiring = Ident::new("wiring", Span::mixed_site());
    let statements = wiring_statements(process, &wiring);
    let wiring_param = if statements.is_empty() {
        Ident::new("_wiring", Span::mixed_site())
    } else {
        wiring
    };
    let knobs = knobs(process);
    let plan = plan(process, stages);
    let hooks = hooks(krate, ident);
    quote! {
        #[automatically_derived]
        impl #impl_generics #krate::__private::Spec for #ident #ty_generics #where_clause {
            const NAME: &'static str = #name;
            #knobs
            const PLAN: #krate::__private::Plan = #plan;

            fn wire(&self, #wiring_param: &mut #krate::__private::Wiring<'_>) {
                #(#statements)*
            }

            fn hooks() -> #krate::__private::Hooks<Self> {
                #hooks
            }
        }
    }
}

/// The constants of the `#[process(..)]` arguments that were given.
fn knobs(process: &Process) -> TokenStream {
    let krate = &process.krate;
    let args = &process.args;
    let close_timeout = args.close_timeout.as_ref().map(|budget| {
        let millis = proc_macro2::Literal::u64_unsuffixed(budget.millis);
        quote! {
            const CLOSE_TIMEOUT: ::core::option::Option<#krate::__private::Duration> =
                ::core::option::Option::Some(#krate::__private::Duration::from_millis(#millis));
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
    let on_failure = args.on_failure.map(|policy| {
        let variant = match policy {
            OnFailure::Isolate => quote!(Isolate),
            OnFailure::Propagate => quote!(Propagate),
        };
        quote! {
            const ON_FAILURE: #krate::__private::OnFailure = #krate::__private::OnFailure::#variant;
        }
    });
    quote!(#close_timeout #escalation #on_failure)
}

/// `Hooks::new(S::__GOPROCESS_TEARDOWN, S::__GOPROCESS_RUN)`: the
/// `#[teardown]` and `#[run]` hooks if defined, the `NoHooks` fallbacks
/// otherwise. The type is named without generic arguments, so a hook in an
/// impl for only some of them is found and refused (at the struct's name).
fn hooks(krate: &Path, ident: &Ident) -> TokenStream {
    let span = ident.span();
    let krate_there = respan(krate.to_token_stream(), span);
    quote_spanned! {span=>
        #[allow(unused_imports)]
        use #krate_there::__private::NoHooks as _;
        #krate_there::__private::Hooks::<Self>::new(#ident::__GOPROCESS_TEARDOWN, #ident::__GOPROCESS_RUN)
    }
}

/// The wiring of every field with a role: targets of `#[wait_for(..)]`
/// before the fields that name them, otherwise in declaration order.
fn wiring_statements(process: &Process, wiring: &Ident) -> Vec<TokenStream> {
    let targets: Vec<bool> = (0..process.fields.len())
        .map(|index| {
            process.fields.iter().any(|field| {
                field
                    .wait_targets()
                    .iter()
                    .any(|target| target.unraw() == process.fields[index].name)
            })
        })
        .collect();
    wiring_order(process)
        .into_iter()
        .filter_map(|index| wire_field(process, &process.fields[index], targets[index], wiring))
        .collect()
}

/// Field indices in declaration order, each `#[wait_for(..)]` field moved
/// after the siblings it names (the checks refused cycles already).
fn wiring_order(process: &Process) -> Vec<usize> {
    let waits: Vec<Vec<usize>> = process
        .fields
        .iter()
        .map(|field| {
            field
                .wait_targets()
                .iter()
                .filter_map(|target| process.field(&target.unraw().to_string()))
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

/// The local that keeps the processes of a field named in `#[wait_for(..)]`.
fn local(field: &Field) -> Ident {
    let name = if field.name == "wiring" {
        "wiring_"
    } else {
        &field.name
    };
    let mut local = format_ident!("{}", name, span = Span::mixed_site());
    if field.ident.to_string().starts_with("r#") {
        local = Ident::new_raw(name, Span::mixed_site());
    }
    local
}

/// The `Wiring` call of one field, if it has a role. The field's type,
/// with its own tokens, is the call's one `Field` bound, so a type that is
/// not a `Field` is reported once, there; the rest is spanned at the
/// field's name.
fn wire_field(
    process: &Process,
    field: &Field,
    is_target: bool,
    wiring: &Ident,
) -> Option<TokenStream> {
    let name = &field.name;
    let ty = field.ty;
    let span = field.ident.span();
    let wiring = &Ident::new(&wiring.to_string(), Span::mixed_site().located_at(span));
    let value = access(field, span);
    let renamed = field
        .attrs
        .child
        .as_ref()
        .and_then(|child| child.name.as_ref())
        .map(|name| quote_spanned!(span=> .named(#name)));
    let call = match field.role() {
        Role::Plain => return None,
        Role::Child if field.wait_targets().is_empty() => {
            quote_spanned!(span=> #wiring #renamed .child::<#ty>(#name, #value))
        }
        Role::Child => {
            let after = field.wait_targets().iter().filter_map(|target| {
                let (_, target) = process.field(&target.unraw().to_string())?;
                let local = local(target);
                Some(quote_spanned!(span=> &#local))
            });
            quote_spanned!(span=> #wiring #renamed .child_after::<#ty>(#name, #value, &[#(#after),*]))
        }
        Role::ChildNoWait => {
            quote_spanned!(span=> #wiring #renamed .child_no_wait::<#ty>(#name, #value))
        }
        Role::WaitFor => quote_spanned!(span=> #wiring.wait_for::<#ty>(#name, #value)),
    };
    let cfgs = &field.attrs.cfgs;
    Some(if is_target && field.is_child() {
        let local = local(field);
        quote!(#(#cfgs)* let #local = #call;)
    } else {
        quote!(#(#cfgs)* #call;)
    })
}

/// `&self.field`, spanned at `span`; the field as declared, so `r#type`
/// stays a valid field access.
fn access(field: &Field, span: Span) -> TokenStream {
    let mut member = field.ident.clone();
    member.set_span(span);
    quote_spanned!(span=> &self.#member)
}

/// `const PLAN`: the stages by process name, and every field with a role.
fn plan(process: &Process, stages: &Stages) -> TokenStream {
    let krate = &process.krate;
    let stage_names = stages.iter().map(|stage| {
        let names = stage
            .iter()
            .map(|index| process.fields[*index].process_name());
        quote!(&[#(#names),*])
    });
    let generic_params: Vec<String> = process
        .item
        .generics
        .params
        .iter()
        .filter_map(|param| match param {
            GenericParam::Type(param) => Some(param.ident.to_string()),
            GenericParam::Const(param) => Some(param.ident.to_string()),
            GenericParam::Lifetime(_) => None,
        })
        .collect();
    let fields = process.fields.iter().filter_map(|field| {
        let name = &field.name;
        let mut entry = match field.role() {
            Role::Plain => return None,
            Role::Child => quote!(#krate::__private::PlanField::child(#name)),
            Role::ChildNoWait => quote!(#krate::__private::PlanField::no_wait(#name)),
            Role::WaitFor => quote!(#krate::__private::PlanField::wait_for(#name)),
        };
        if let Some(renamed) = field
            .attrs
            .child
            .as_ref()
            .and_then(|child| child.name.as_ref())
        {
            entry = quote!(#entry.named(#renamed));
        }
        if !field.wait_targets().is_empty() {
            let after = field
                .wait_targets()
                .iter()
                .map(|target| target.unraw().to_string());
            entry = quote!(#entry.after(&[#(#after),*]));
        }
        if let Some(nested) = field
            .nested(krate)
            .filter(|ty| !mentions_any(ty, &generic_params))
        {
            entry = quote!(#entry.nested(#krate::__private::plan_of::<#nested>));
        }
        Some(entry)
    });
    quote! {
        #krate::__private::Plan {
            stages: &[#(#stage_names),*],
            fields: &[#(#fields),*],
        }
    }
}

/// Whether `ty` names one of `params` (a generic parameter of the struct).
fn mentions_any(ty: &Type, params: &[String]) -> bool {
    fn walk(tokens: TokenStream, params: &[String]) -> bool {
        tokens.into_iter().any(|token| match token {
            TokenTree::Ident(ident) => params.iter().any(|param| ident == param),
            TokenTree::Group(group) => walk(group.stream(), params),
            _ => false,
        })
    }
    walk(ty.to_token_stream(), params)
}

/// What is emitted next to the errors: a `Spec` with nothing in it, so
/// uses of the type (`.start()`, `shutdown_plan()`, its `#[teardown]`) do
/// not add errors.
fn stub(krate: &Path, ident: &Ident, generics: &Generics) -> TokenStream {
    let name = ident.unraw().to_string();
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    quote! {
        #[automatically_derived]
        impl #impl_generics #krate::__private::Spec for #ident #ty_generics #where_clause {
            const NAME: &'static str = #name;
            const PLAN: #krate::__private::Plan = #krate::__private::Plan { stages: &[], fields: &[] };

            fn wire(&self, _: &mut #krate::__private::Wiring<'_>) {}

            fn hooks() -> #krate::__private::Hooks<Self> {
                #krate::__private::Hooks::none()
            }
        }
    }
}
