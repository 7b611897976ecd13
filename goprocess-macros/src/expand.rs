//! Code generation for `#[process]`: the struct without its helper
//! attributes, `impl Spec` (with the close budget, if any), and the inherent
//! `SHUTDOWN_ORDER` and `SHUTDOWN_MERMAID`.

use proc_macro2::{Group, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Fields, Generics, Ident, Item, ItemStruct, Path, Visibility};

use crate::attr::{self, Escalation, MacroArgs, is_field_helper};
use crate::check::{self, Stages};
use crate::ctxt::Ctxt;
use crate::model::{Field, Process, Role};
use crate::symbol::PROCESS;

/// `#[process]`, from arguments and item to output.
pub(crate) fn process(args: TokenStream, input: TokenStream) -> TokenStream {
    let cx = Ctxt::new();
    let args = attr::macro_args(&cx, args, PROCESS);
    let krate = args.krate.clone().unwrap_or_else(default_crate);
    let item = match syn::parse2::<Item>(input.clone()) {
        Ok(item) => item,
        Err(error) => {
            cx.syn_error(error);
            return with_errors(cx, input);
        }
    };
    match item {
        Item::Struct(item) => process_struct(cx, &item, krate, &args),
        Item::Enum(mut item) => {
            check::check_struct_attrs(&cx, &item.attrs);
            item.attrs
                .retain(|attr| !check::is_misplaced_struct_attr(attr));
            cx.error_spanned_by(
                item.enum_token,
                format!(
                    "#[process] needs a struct with named fields, not an enum: \
                     write `struct {} {{ #[child] field: Type, .. }}`",
                    item.ident
                ),
            );
            let stub = stub(&krate, &item.ident, &item.generics, &item.vis);
            with_errors(cx, quote!(#item #stub))
        }
        Item::Union(mut item) => {
            check::check_struct_attrs(&cx, &item.attrs);
            item.attrs
                .retain(|attr| !check::is_misplaced_struct_attr(attr));
            cx.error_spanned_by(
                item.union_token,
                format!(
                    "#[process] needs a struct with named fields, not a union: \
                     write `struct {} {{ #[child] field: Type, .. }}`",
                    item.ident
                ),
            );
            let stub = stub(&krate, &item.ident, &item.generics, &item.vis);
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

fn process_struct(cx: Ctxt, item: &ItemStruct, krate: Path, args: &MacroArgs) -> TokenStream {
    let stripped = strip_helpers(item);
    let Some(mut process) = crate::model::Process::from_ast(&cx, item, krate.clone()) else {
        check::check_struct_attrs(&cx, &item.attrs);
        let what = if matches!(item.fields, Fields::Unit) {
            format!(
                "#[process] needs a struct with named fields, not a unit struct; \
                 write `struct {} {{}}` for a process without fields",
                item.ident
            )
        } else {
            format!(
                "#[process] needs named fields, which #[wait_for(..)] and SHUTDOWN_ORDER refer to; \
                 write `struct {} {{ name: Type, .. }}` instead of a tuple struct",
                item.ident
            )
        };
        let span = match &item.fields {
            Fields::Unnamed(fields) => fields.paren_token.span.join(),
            _ => item.ident.span(),
        };
        cx.error_at(span, what);
        let stub = stub(&krate, &item.ident, &item.generics, &item.vis);
        return with_errors(cx, quote!(#stripped #stub));
    };
    process.close_timeout = args.close_timeout.as_ref().map(|budget| budget.millis);
    process.escalation = args.escalation;
    let stages = check::check(&cx, &process);
    let output = if cx.has_errors() {
        if item.generics.lifetimes().next().is_none() {
            let stub = stub(&krate, &item.ident, &item.generics, &item.vis);
            quote!(#stripped #stub)
        } else {
            stripped.into_token_stream()
        }
    } else {
        let spec = spec_impl(&process);
        let order = order_impl(&process, &stages);
        quote!(#stripped #spec #order)
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
    for field in item.fields.iter_mut() {
        field.attrs.retain(|attr| !is_field_helper(attr));
    }
    item
}

/// `impl Spec for S`: the process name, the wiring of the fields, and the
/// `#[teardown]` method found by the inherent-before-trait rule.
fn spec_impl(process: &Process) -> TokenStream {
    let krate = &process.krate;
    let ident = &process.item.ident;
    let name = &process.name;
    let (impl_generics, ty_generics, where_clause) = process.item.generics.split_for_impl();
    let wiring = Ident::new("wiring", Span::mixed_site());
    let statements: Vec<TokenStream> = process
        .fields
        .iter()
        .filter_map(|field| wire_field(process, field, &wiring))
        .collect();
    let wiring_param = if statements.is_empty() {
        Ident::new("_wiring", Span::mixed_site())
    } else {
        wiring
    };
    let teardown = teardown_fn(krate);
    let close_timeout = process.close_timeout.map(|millis| {
        let millis = proc_macro2::Literal::u64_unsuffixed(millis);
        quote! {
            const CLOSE_TIMEOUT: ::core::option::Option<#krate::__private::Duration> =
                ::core::option::Option::Some(#krate::__private::Duration::from_millis(#millis));
        }
    });
    let escalation = process.escalation.map(|escalation| {
        let variant = match escalation {
            Escalation::Abort => quote!(Abort),
            Escalation::Detach => quote!(Detach),
        };
        quote! {
            const ESCALATION: #krate::__private::Escalation = #krate::__private::Escalation::#variant;
        }
    });
    quote! {
        #[automatically_derived]
        impl #impl_generics #krate::__private::Spec for #ident #ty_generics #where_clause {
            const NAME: &'static str = #name;
            #close_timeout
            #escalation

            fn wire(&self, #wiring_param: &mut #krate::__private::Wiring<'_>) {
                #(#statements)*
            }

            #teardown
        }
    }
}

fn teardown_fn(krate: &Path) -> TokenStream {
    let this = Ident::new("this", Span::mixed_site());
    quote! {
        fn teardown(#this: #krate::__private::Arc<Self>) -> #krate::__private::Teardown {
            #[allow(unused_imports)]
            use #krate::__private::NoTeardown as _;
            Self::__goprocess_teardown(#this)
        }
    }
}

/// The type check and the `Wiring` call of one field, if it has a role.
fn wire_field(process: &Process, field: &Field, wiring: &Ident) -> Option<TokenStream> {
    let name = &field.name;
    let ty = field.ty;
    // The type check and the call are spanned at the field's type, so a type
    // that is not a `Field` is reported once, there (rustc drops a second
    // error for the same unmet bound at the same span).
    let span = ty.span();
    let wiring = &Ident::new(&wiring.to_string(), Span::mixed_site().located_at(span));
    let value = access(field, span);
    let call = match field.role() {
        Role::Plain => return None,
        Role::Child if field.wait_targets().is_empty() => {
            quote_spanned!(span=> #wiring.child(#name, #value);)
        }
        Role::Child => {
            let after = field.wait_targets().iter().filter_map(|target| {
                let (_, target) = process.field(&syn::ext::IdentExt::unraw(target).to_string())?;
                Some(access(target, target.ty.span()))
            });
            quote_spanned!(span=> #wiring.child_after(#name, #value, &[#(#after),*]);)
        }
        Role::ChildNoWait => quote_spanned!(span=> #wiring.child_no_wait(#name, #value);),
        Role::WaitFor => quote_spanned!(span=> #wiring.wait_for(#name, #value);),
    };
    let krate = respan(process.krate.to_token_stream(), span);
    let assert = quote_spanned! {span=>
        #krate::__private::assert_field::<#ty>();
    };
    let cfgs = &field.attrs.cfgs;
    Some(if cfgs.is_empty() {
        quote!(#assert #call)
    } else {
        quote!(#(#cfgs)* { #assert #call })
    })
}

/// `&self.field`, spanned at `span`; the field as declared, so `r#type`
/// stays a valid field access.
fn access(field: &Field, span: Span) -> TokenStream {
    let mut member = field.ident.clone();
    member.set_span(span);
    quote_spanned!(span=> &self.#member)
}

/// The inherent `SHUTDOWN_ORDER`, documented with its actual stages, and
/// `SHUTDOWN_MERMAID`.
fn order_impl(process: &Process, stages: &Stages) -> TokenStream {
    let item = process.item;
    let stage_names = stages.iter().map(|stage| {
        let names = stage.iter().map(|index| &process.fields[*index].name);
        quote!(&[#(#names),*])
    });
    let doc = order_doc(process, stages);
    let mermaid = mermaid(process, stages);
    inherent_consts(
        item.ident.clone(),
        &item.generics,
        &item.vis,
        (&doc, quote!(&[#(#stage_names),*])),
        (&mermaid_doc(&process.name, &mermaid), mermaid),
    )
}

fn inherent_consts(
    ident: Ident,
    generics: &Generics,
    vis: &Visibility,
    (order_doc, order): (&[String], TokenStream),
    (mermaid_doc, mermaid): (&[String], String),
) -> TokenStream {
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    quote! {
        impl #impl_generics #ident #ty_generics #where_clause {
            #(#[doc = #order_doc])*
            #[allow(dead_code)]
            #vis const SHUTDOWN_ORDER: &'static [&'static [&'static str]] = #order;

            #(#[doc = #mermaid_doc])*
            #[allow(dead_code)]
            #vis const SHUTDOWN_MERMAID: &'static str = #mermaid;
        }
    }
}

fn mermaid_doc(name: &str, chart: &str) -> Vec<String> {
    let mut doc = vec![
        format!(" The shutdown order of `{name}` as a Mermaid `flowchart`: an arrow"),
        " `a --> b` means that `b` closes after `a`; `#[child(no_wait)]` fields".to_owned(),
        " have no arrow (nothing waits for them), bare `#[wait_for]` fields point".to_owned(),
        format!(" at `{name}`'s own teardown, which comes last. Paste it in a"),
        " ```` ```mermaid ```` block to render it:".to_owned(),
        String::new(),
        " ```text".to_owned(),
    ];
    doc.extend(chart.lines().map(|line| format!(" {line}")));
    doc.push(" ```".to_owned());
    doc
}

/// Node ids that Mermaid would read as keywords.
const MERMAID_KEYWORDS: [&str; 12] = [
    "end",
    "graph",
    "flowchart",
    "subgraph",
    "direction",
    "style",
    "class",
    "classDef",
    "click",
    "linkStyle",
    "default",
    "call",
];

/// The Mermaid node id of a field: its name, with `_` appended when Mermaid
/// would read the name as a keyword. The struct's own node is `self`, which
/// no field can be called.
fn mermaid_id(name: &str) -> String {
    if MERMAID_KEYWORDS.contains(&name) {
        format!("{name}_")
    } else {
        name.to_owned()
    }
}

/// `SHUTDOWN_MERMAID`: a `flowchart` of the derived order.
fn mermaid(process: &Process, stages: &Stages) -> String {
    let mut out = String::from("flowchart TD\n");
    let mut edges = Vec::new();
    let mut waited_by_sibling = vec![false; process.fields.len()];
    for field in &process.fields {
        for target in field.wait_targets() {
            if let Some((index, _)) = process.field(&syn::ext::IdentExt::unraw(target).to_string())
            {
                waited_by_sibling[index] = true;
            }
        }
    }
    for stage in stages {
        for &index in stage {
            let field = &process.fields[index];
            let id = mermaid_id(&field.name);
            if field.role() == Role::ChildNoWait {
                out.push_str(&format!("    {id}[\"{} (not waited for)\"]\n", field.name));
                continue;
            }
            out.push_str(&format!("    {id}[\"{}\"]\n", field.name));
            for target in field.wait_targets() {
                let target = mermaid_id(&syn::ext::IdentExt::unraw(target).to_string());
                edges.push(format!("    {target} --> {id}\n"));
            }
            if !waited_by_sibling[index] {
                edges.push(format!("    {id} --> self\n"));
            }
        }
    }
    for field in &process.fields {
        if field.role() == Role::WaitFor {
            let id = mermaid_id(&field.name);
            out.push_str(&format!(
                "    {id}[/\"{} (waited for, not closed)\"/]\n",
                field.name
            ));
            edges.push(format!("    {id} -.-> self\n"));
        }
    }
    out.push_str(&format!("    self([\"{} teardown\"])\n", process.name));
    for edge in edges {
        out.push_str(&edge);
    }
    out
}

fn order_doc(process: &Process, stages: &Stages) -> Vec<String> {
    let mut doc = vec![format!(
        " The stages in which a started `{}` closes its `#[child]` fields, derived",
        process.name
    )];
    doc.push(" at compile time from their `#[wait_for(..)]` attributes:".to_owned());
    doc.push(String::new());
    if stages.is_empty() {
        doc.push(format!(
            " (none: `{}` has no `#[child]` fields)",
            process.name
        ));
    }
    for (number, stage) in stages.iter().enumerate() {
        let fields: Vec<String> = stage
            .iter()
            .map(|index| {
                let field = &process.fields[*index];
                let targets: Vec<String> = field
                    .wait_targets()
                    .iter()
                    .map(|target| format!("`{}`", syn::ext::IdentExt::unraw(target)))
                    .collect();
                if field.role() == Role::ChildNoWait {
                    format!("`{}` (not waited for)", field.name)
                } else if targets.is_empty() {
                    format!("`{}`", field.name)
                } else {
                    format!("`{}` (after {})", field.name, targets.join(", "))
                }
            })
            .collect();
        doc.push(format!(" {}. {}", number + 1, fields.join(", ")));
    }
    doc.push(String::new());
    doc.push(
        " Fields of one stage close concurrently; a field starts closing once every".to_owned(),
    );
    doc.push(format!(
        " field it waits for has closed. The `#[teardown]` of `{}`, if any, runs last.",
        process.name
    ));
    doc
}

/// What is emitted next to the errors: `Spec` and `SHUTDOWN_ORDER` exist, so
/// uses of the type (`.start()`, `S::SHUTDOWN_ORDER`) do not add errors.
fn stub(krate: &Path, ident: &Ident, generics: &Generics, vis: &Visibility) -> TokenStream {
    let name = syn::ext::IdentExt::unraw(ident).to_string();
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let teardown = teardown_fn(krate);
    let not_computed = [" Not computed: `#[process]` reported an error.".to_owned()];
    let order = inherent_consts(
        ident.clone(),
        generics,
        vis,
        (&not_computed, quote!(&[])),
        (&not_computed, String::new()),
    );
    quote! {
        #[automatically_derived]
        impl #impl_generics #krate::__private::Spec for #ident #ty_generics #where_clause {
            const NAME: &'static str = #name;

            fn wire(&self, _: &mut #krate::__private::Wiring<'_>) {}

            #teardown
        }

        #order
    }
}
