//! Property tests: random structs with random sibling `#[wait_for]` edges.
//! The macro never panics, reports a cycle if and only if the graph has
//! one, and otherwise emits the plan's stages as the topological stages
//! and each field's `after` list as declared.

use proc_macro2::{Ident, Span, TokenStream};
use proptest::prelude::*;
use quote::quote;
use syn::{Expr, ImplItem, Item};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Role {
    Plain,
    Child,
    NoWait,
    WaitFor,
}

#[derive(Clone, Debug)]
struct Shape {
    roles: Vec<Role>,
    /// `waits[i]`: the fields `i` waits for (only used when `i` is a child).
    waits: Vec<Vec<usize>>,
}

fn role() -> impl Strategy<Value = Role> {
    prop_oneof![
        1 => Just(Role::Plain),
        6 => Just(Role::Child),
        1 => Just(Role::NoWait),
        1 => Just(Role::WaitFor),
    ]
}

/// Random fields; edges only between distinct plain `#[child]` fields, so
/// every input is valid except for cycles.
fn shape() -> impl Strategy<Value = Shape> {
    (1usize..9)
        .prop_flat_map(|n| {
            (
                proptest::collection::vec(role(), n),
                proptest::collection::vec(proptest::collection::vec(any::<bool>(), n), n),
            )
        })
        .prop_map(|(roles, matrix)| {
            let waits = (0..roles.len())
                .map(|i| {
                    if roles[i] != Role::Child {
                        return Vec::new();
                    }
                    (0..roles.len())
                        .filter(|&j| j != i && roles[j] == Role::Child && matrix[i][j])
                        .collect()
                })
                .collect();
            Shape { roles, waits }
        })
}

fn name(i: usize) -> Ident {
    Ident::new(&format!("f{i}"), Span::call_site())
}

fn tokens(shape: &Shape) -> TokenStream {
    let fields = shape.roles.iter().enumerate().map(|(i, role)| {
        let ident = name(i);
        let attrs = match role {
            Role::Plain => quote!(),
            Role::Child if shape.waits[i].is_empty() => quote!(#[child]),
            Role::Child => {
                let targets = shape.waits[i].iter().map(|j| name(*j));
                quote!(#[child] #[wait_for(#(#targets),*)])
            }
            Role::NoWait => quote!(#[child(no_wait)]),
            Role::WaitFor => quote!(#[wait_for]),
        };
        quote!(#attrs #ident: ::goprocess::Process)
    });
    quote!(struct Random { #(#fields),* })
}

fn has_cycle(shape: &Shape) -> bool {
    // Repeatedly remove fields that wait for nothing left; a cycle remains.
    let n = shape.roles.len();
    let mut removed = vec![false; n];
    loop {
        let next = (0..n).find(|&i| !removed[i] && shape.waits[i].iter().all(|&j| removed[j]));
        match next {
            Some(i) => removed[i] = true,
            None => return removed.iter().any(|r| !r),
        }
    }
}

/// The expression of `Spec::PLAN` in the expansion.
fn plan(items: &[Item]) -> Option<syn::ExprStruct> {
    items.iter().find_map(|item| {
        let Item::Impl(item) = item else { return None };
        item.trait_.as_ref()?;
        item.items.iter().find_map(|impl_item| match impl_item {
            ImplItem::Const(constant) if constant.ident == "PLAN" => match &constant.expr {
                Expr::Struct(plan) => Some(plan.clone()),
                _ => None,
            },
            _ => None,
        })
    })
}

fn plan_field<'a>(plan: &'a syn::ExprStruct, name: &str) -> Option<&'a Expr> {
    plan.fields.iter().find_map(|field| match &field.member {
        syn::Member::Named(ident) if ident == name => Some(&field.expr),
        _ => None,
    })
}

fn elements(expr: &Expr) -> Vec<&Expr> {
    match expr {
        Expr::Reference(reference) => elements(&reference.expr),
        Expr::Array(array) => array.elems.iter().collect(),
        _ => Vec::new(),
    }
}

fn string(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(name),
            ..
        }) => Some(name.value()),
        _ => None,
    }
}

/// `Plan::stages`, as names.
fn shutdown_order(plan: &syn::ExprStruct) -> Vec<Vec<String>> {
    let stages = plan_field(plan, "stages").expect("stages");
    elements(stages)
        .into_iter()
        .map(|stage| elements(stage).into_iter().filter_map(string).collect())
        .collect()
}

/// `Plan::fields`: each field's name and the siblings of its `.after(..)`.
fn plan_fields(plan: &syn::ExprStruct) -> Vec<(String, Vec<String>)> {
    let fields = plan_field(plan, "fields").expect("fields");
    elements(fields)
        .into_iter()
        .map(|mut entry| {
            let mut after = Vec::new();
            let name = loop {
                match entry {
                    Expr::MethodCall(call) => {
                        if call.method == "after" {
                            after = call
                                .args
                                .iter()
                                .flat_map(elements)
                                .filter_map(string)
                                .collect();
                        }
                        entry = &call.receiver;
                    }
                    Expr::Call(call) => break call.args.first().and_then(string).expect("a name"),
                    other => panic!("unexpected plan entry: {}", quote!(#other)),
                }
            };
            (name, after)
        })
        .collect()
}

fn error_messages(output: &TokenStream) -> Vec<String> {
    super::parse_items(output.clone())
        .into_iter()
        .filter_map(|item| match item {
            Item::Macro(mac)
                if mac
                    .mac
                    .path
                    .segments
                    .last()
                    .is_some_and(|segment| segment.ident == "compile_error") =>
            {
                syn::parse2::<syn::LitStr>(mac.mac.tokens)
                    .ok()
                    .map(|lit| lit.value())
            }
            _ => None,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn cycles_are_reported_iff_present_and_order_is_topological(shape in shape()) {
        let output = super::expand_process(TokenStream::new(), tokens(&shape));
        let items = super::parse_items(output.clone());
        let errors = error_messages(&output);
        if has_cycle(&shape) {
            prop_assert!(!errors.is_empty(), "cycle not reported");
            prop_assert!(
                errors.iter().all(|e| e.starts_with("waiting cycle: ")),
                "unexpected errors: {errors:?}"
            );
            for error in &errors {
                // The cycle named is a real cycle of the graph.
                let path = error["waiting cycle: ".len()..].split(';').next().unwrap_or("");
                let names: Vec<usize> = path
                    .split(" -> ")
                    .map(|n| n.trim_start_matches('f').parse().expect("a field name"))
                    .collect();
                prop_assert!(names.len() >= 3 && names.first() == names.last(), "{error}");
                for pair in names.windows(2) {
                    prop_assert!(shape.waits[pair[0]].contains(&pair[1]), "{error}");
                }
            }
        } else {
            prop_assert!(errors.is_empty(), "unexpected errors: {errors:?}");
            let plan = plan(&items).expect("PLAN is emitted");
            let order = shutdown_order(&plan);
            let mut stage_of = vec![None; shape.roles.len()];
            for (stage, names) in order.iter().enumerate() {
                prop_assert!(!names.is_empty(), "empty stage");
                for name in names {
                    let i: usize = name.trim_start_matches('f').parse().expect("a field name");
                    prop_assert!(stage_of[i].is_none(), "{name} listed twice");
                    stage_of[i] = Some(stage);
                }
            }
            for (i, role) in shape.roles.iter().enumerate() {
                let is_child = matches!(role, Role::Child | Role::NoWait);
                prop_assert_eq!(stage_of[i].is_some(), is_child, "field f{}", i);
                if let Some(stage) = stage_of[i] {
                    // Each field sits right after the latest stage it waits for.
                    let expected = shape.waits[i]
                        .iter()
                        .map(|&j| stage_of[j].map_or(usize::MAX, |s| s + 1))
                        .max()
                        .unwrap_or(0);
                    prop_assert_eq!(stage, expected, "field f{}", i);
                }
            }
            // Every field with a role is listed once, with its siblings.
            let mut expected: Vec<(String, Vec<String>)> = shape
                .roles
                .iter()
                .enumerate()
                .filter(|(_, role)| **role != Role::Plain)
                .map(|(i, _)| (format!("f{i}"), shape.waits[i].iter().map(|j| format!("f{j}")).collect()))
                .collect();
            let mut fields = plan_fields(&plan);
            expected.sort();
            fields.sort();
            prop_assert_eq!(fields, expected);
        }
    }

    #[test]
    fn never_panics_on_attribute_soup(
        args in prop::sample::select(ARGS.to_vec()),
        attrs in proptest::collection::vec(prop::sample::select(FIELD_ATTRS.to_vec()), 1..6),
        tuple in any::<bool>(),
    ) {
        let fields = attrs.iter().enumerate().map(|(i, attr)| {
            let attr: TokenStream = attr.parse().expect("valid tokens");
            let ident = name(i);
            if tuple { quote!(#attr ::goprocess::Process) } else { quote!(#attr #ident: ::goprocess::Process) }
        });
        let item = if tuple { quote!(struct Soup(#(#fields),*);) } else { quote!(struct Soup { #(#fields),* }) };
        let args: TokenStream = args.parse().expect("valid tokens");
        let output = super::expand_process(args, item);
        // Whatever the mistakes, the output is well-formed items.
        let _ = super::parse_items(output);
    }
}

const ARGS: [&str; 24] = [
    "close_timeout = \"1.5s\"",
    "close_timeout = \"1m 30s\"",
    "close_timeout = \"1.s\"",
    "close_timeout = \"99999999999y\"",
    "close_timeout = \"250us\"",
    "close_timeout = \"5s\"",
    "close_timeout = \"0s\"",
    "close_timeout = \"5 s\"",
    "close_timeout = 5",
    "close_timeout",
    "escalation = \"detach\", close_timeout = \"1h\", crate = \"gp2\"",
    "escalation = \"kill\"",
    "timeout = \"2s\"",
    "",
    "crate = \"gp2\"",
    "crate = \"not a path\"",
    "crate = gp2",
    "crate",
    "krate = \"x\"",
    "crate = \"a\", crate = \"b\"",
    "\"x\"",
    "on_failure = \"propagate\"",
    "on_failure = \"crash\", on_failure = \"isolate\"",
    "on_failure = propagate",
];

const FIELD_ATTRS: [&str; 33] = [
    "#[cfg_attr(all(), child)]",
    "#[cfg_attr(any(), wait_for(f0))]",
    "#[cfg_attr(x, child(no_wait), doc = \"d\")]",
    "#[cfg_attr()]",
    "#[cfg_attr(a)]",
    "#[cfg_attr(a, child, wait_for(f1, f9))]",
    "#[cfg_attr(a, childs)]",
    "#[child(name = \"w/1\")]",
    "#[child(name = \"f1[0]\")]",
    "#[cfg(feature = \"x\")] #[child]",
    "#[__goprocess(child)]",
    "",
    "#[child]",
    "#[child(no_wait)]",
    "#[child(nowait)]",
    "#[child(no_wait = 1)]",
    "#[child = 1]",
    "#[child] #[child]",
    "#[wait_for]",
    "#[wait_for()]",
    "#[wait_for(f0)]",
    "#[wait_for(f0, f1)]",
    "#[wait_for(f0, f0)]",
    "#[wait_for(self)]",
    "#[wait_for(missing)]",
    "#[child] #[wait_for(f1, f2, f3)]",
    "#[childs] #[waitfor]",
    "#[doc = \"kept\"] #[cfg(all())]",
    "#[child(name = \"x\")]",
    "#[child(name = \"f0\")]",
    "#[child(name = \"\", no_wait)]",
    "#[child(name = x)]",
    "#[child(name = \"a\", name = \"b\")]",
];
