//! The checks of `#[process]`: contradictory field attributes, `#[wait_for]`
//! targets, waiting cycles, and what cannot be a process at all.

use syn::ext::IdentExt;
use syn::{Attribute, GenericParam, Generics, Ident};

use crate::attr::{edit_distance, path_to_string};
use crate::ctxt::Ctxt;
use crate::model::{Process, Role};
use crate::order;
use crate::symbol::{FIELD_ATTRS, PROCESS, names_macro};

/// The shutdown stages, as indices into `process.fields`.
pub(crate) type Stages = Vec<Vec<usize>>;

/// The checks of `#[process]`, on the struct as written (every field and
/// helper attribute, whatever their `cfg`). Every mistake is recorded in
/// `cx`.
pub(crate) fn check(cx: &Ctxt, process: &Process) {
    check_struct_attrs(cx, &process.item.attrs);
    check_generics(cx, &process.item.generics);
    for field in &process.fields {
        check_roles(cx, process, field);
    }
    check_names(cx, process, true);
    let children = children(process);
    let waits: Vec<Vec<usize>> = children
        .iter()
        .map(|&index| resolve_targets(cx, process, index, &children))
        .collect();
    if let Err(cycles) = order::stages(&waits) {
        for cycle in cycles {
            report_cycle(cx, process, &children, &cycle);
        }
    }
}

/// The indices of the `#[child]` fields (waited for or not).
fn children(process: &Process) -> Vec<usize> {
    (0..process.fields.len())
        .filter(|index| process.fields[*index].is_child())
        .collect()
}

/// The shutdown stages of the fields as built (for the internal derive,
/// once `cfg` has run): a `#[wait_for(..)]` target that is not there, left
/// out by its `cfg`, orders nothing. `#[process]` refused cycles among all
/// the fields, so there are none among some of them.
pub(crate) fn stages(process: &Process) -> Stages {
    let children = children(process);
    let waits: Vec<Vec<usize>> = children
        .iter()
        .map(|&index| {
            if process.fields[index].role() != Role::Child {
                return Vec::new();
            }
            process.fields[index]
                .wait_targets()
                .iter()
                .filter_map(|target| process.field(&target.unraw().to_string()))
                .filter(|(_, target)| target.role() == Role::Child)
                .filter_map(|(target, _)| children.iter().position(|c| *c == target))
                .collect()
        })
        .collect();
    order::stages(&waits)
        .unwrap_or_default()
        .into_iter()
        .map(|stage| stage.into_iter().map(|node| children[node]).collect())
        .collect()
}

/// Two `#[child]` fields whose processes would get one name: a
/// `#[child(name = "…")]` that is another field's name, or the name of an
/// element of another field that holds a `Vec` or an array (`w[0]`).
/// Checked by the internal derive on the fields as built (two fields that
/// `cfg` never builds together may share a name), and by `#[process]` on
/// the fields without `#[cfg]` (`unconditional`), so that such a mistake is
/// reported with the others. Reported at the rename.
pub(crate) fn check_names(cx: &Ctxt, process: &Process, unconditional: bool) {
    let children: Vec<&crate::model::Field> = process
        .fields
        .iter()
        .filter(|field| field.is_child() && !(unconditional && field.attrs.has_cfg))
        .collect();
    for (i, field) in children.iter().enumerate() {
        let Some(rename) = field.rename() else {
            continue;
        };
        let name = rename.value();
        let indexed = name
            .strip_suffix(']')
            .and_then(|rest| rest.rsplit_once('['))
            .filter(|(_, index)| !index.is_empty() && index.bytes().all(|b| b.is_ascii_digit()))
            .map(|(base, _)| base);
        for (j, other) in children.iter().enumerate() {
            if i == j {
                continue;
            }
            let other_name = other.process_name();
            let why = if other_name == name && (j < i || other.rename().is_none()) {
                format!("the name `{name}` is taken by the field `{}`", other.name)
            } else if indexed == Some(other_name.as_str()) {
                format!(
                    "the name `{name}` is the name of a process of the field `{}` when it holds a `Vec` or an array \
                     (`{other_name}[0]`, `{other_name}[1]`, ...)",
                    other.name
                )
            } else {
                continue;
            };
            cx.error_spanned_by(
                rename,
                format!("{why}; give each #[child] field its own name"),
            );
            break;
        }
    }
}

/// Whether an attribute next to `#[process]` is a mistake that
/// [`check_struct_attrs`] reports; such attributes are left out of the
/// output so that they are reported once.
pub(crate) fn is_misplaced_struct_attr(attr: &Attribute) -> bool {
    is_duplicate_process(attr) || FIELD_ATTRS.iter().any(|known| attr.path() == *known)
}

fn is_duplicate_process(attr: &Attribute) -> bool {
    names_macro(attr.path(), PROCESS)
}

/// Attributes next to `#[process]` on the struct itself.
pub(crate) fn check_struct_attrs(cx: &Ctxt, attrs: &[Attribute]) {
    for attr in attrs {
        let path = attr.path();
        let name = path_to_string(path);
        if is_duplicate_process(attr) {
            cx.error_spanned_by(attr, "duplicate #[process] on this struct; remove this one");
        } else if FIELD_ATTRS.iter().any(|known| path == *known) {
            cx.error_spanned_by(
                attr,
                format!(
                    "#[{name}] goes on a field of a #[process] struct, not on the struct itself"
                ),
            );
        }
    }
}

/// A process owns its fields for as long as it runs, so they are `'static`.
pub(crate) fn check_generics(cx: &Ctxt, generics: &Generics) -> bool {
    let mut ok = true;
    for param in &generics.params {
        if let GenericParam::Lifetime(lifetime) = param {
            ok = false;
            cx.error_spanned_by(
                &lifetime.lifetime,
                format!(
                    "#[process] structs cannot have lifetime parameters: a process owns its fields while it runs (`'static`); \
                     remove `{}` and use owned or `Arc` fields",
                    lifetime.lifetime
                ),
            );
        }
    }
    ok
}

fn check_roles(cx: &Ctxt, process: &Process, field: &crate::model::Field) {
    let name = &field.name;
    let Some(wait_for) = &field.attrs.wait_for else {
        return;
    };
    match (&field.attrs.child, &wait_for.targets) {
        (Some(child), None) if child.no_wait.is_some() => cx.error_spanned_by(
            &wait_for.attr,
            format!(
                "`#[child(no_wait)]` and `#[wait_for]` contradict each other on `{name}`: \
                 use `#[child]` to close `{name}` and wait for it, or `#[wait_for]` alone to wait without closing it"
            ),
        ),
        (Some(_), None) => cx.error_spanned_by(
            &wait_for.attr,
            format!(
                "`{name}` is already a `#[child]`, which `{}` closes and waits for; remove this bare `#[wait_for]` \
                 (to close `{name}` after some siblings, name them: `#[wait_for(a, b)]`)",
                process.name
            ),
        ),
        (Some(child), Some(_)) if child.no_wait.is_some() => cx.error_spanned_by(
            &wait_for.attr,
            format!(
                "`{name}` is `#[child(no_wait)]`, so nothing waits for it and it cannot be ordered after siblings; \
                 use `#[child]` on `{name}`, or remove `#[wait_for(..)]`"
            ),
        ),
        (Some(_), Some(_)) | (None, None) => {}
        (None, Some(_)) => cx.error_spanned_by(
            &wait_for.attr,
            format!(
                "`#[wait_for(..)]` with field names orders a `#[child]` after its siblings, but `{name}` is not a `#[child]`; \
                 add `#[child]` to `{name}`, or write bare `#[wait_for]` to wait for `{name}` without closing it"
            ),
        ),
    }
}

/// The graph nodes (positions in `children`) that the child `index` waits
/// for; reports every target that is not a sibling `#[child]`.
fn resolve_targets(cx: &Ctxt, process: &Process, index: usize, children: &[usize]) -> Vec<usize> {
    let field = &process.fields[index];
    if field.role() != Role::Child {
        return Vec::new();
    }
    let mut nodes = Vec::new();
    for target in field.wait_targets() {
        let target_name = target.unraw().to_string();
        match process.field(&target_name) {
            None => report_missing(cx, process, index, target, &target_name),
            Some((target_index, _)) if target_index == index => cx.error_spanned_by(
                target,
                format!("`{target_name}` cannot wait for itself; remove `{target_name}` from its #[wait_for(..)]"),
            ),
            Some((target_index, target_field)) => {
                let why = match target_field.role() {
                    Role::Child => {
                        if let Some(node) = children.iter().position(|c| *c == target_index) {
                            nodes.push(node);
                        }
                        continue;
                    }
                    Role::ChildNoWait => format!(
                        "`{target_name}` is `#[child(no_wait)]`: `{}` does not wait for it, so `{}` cannot be ordered after it; \
                         make `{target_name}` a plain `#[child]`, or remove it from #[wait_for(..)]",
                        process.name, field.name
                    ),
                    Role::WaitFor => format!(
                        "`{target_name}` is a bare `#[wait_for]` field that `{}` never closes, so `{}` cannot be ordered after it; \
                         #[wait_for(..)] names sibling `#[child]` fields: make `{target_name}` a `#[child]`, or remove it from the list",
                        process.name, field.name
                    ),
                    Role::Plain => format!(
                        "`{target_name}` is not a `#[child]` field; #[wait_for(..)] names sibling `#[child]` fields that close before `{}`: \
                         add `#[child]` to `{target_name}`, or remove it from the list",
                        field.name
                    ),
                };
                cx.error_spanned_by(target, why);
            }
        }
    }
    nodes
}

fn report_missing(cx: &Ctxt, process: &Process, index: usize, target: &Ident, target_name: &str) {
    let siblings: Vec<&str> = process
        .fields
        .iter()
        .enumerate()
        .filter(|(i, field)| *i != index && field.role() == Role::Child)
        .map(|(_, field)| field.name.as_str())
        .collect();
    let closest = siblings
        .iter()
        .map(|name| (edit_distance(target_name, name), *name))
        .filter(|(distance, name)| *distance <= 2.max(name.len() / 3))
        .min_by_key(|(distance, _)| *distance);
    let hint = match (closest, siblings.is_empty()) {
        (Some((_, name)), _) => format!("did you mean `{name}`?"),
        (None, true) => format!(
            "`{}` has no other `#[child]` field to wait for",
            process.name
        ),
        (None, false) => format!(
            "expected a sibling `#[child]` field: {}",
            siblings
                .iter()
                .map(|name| format!("`{name}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    cx.error_spanned_by(
        target,
        format!("no field `{target_name}` in `{}`; {hint}", process.name),
    );
}

fn report_cycle(cx: &Ctxt, process: &Process, children: &[usize], cycle: &[usize]) {
    let names: Vec<&str> = cycle
        .iter()
        .chain(cycle.first())
        .map(|node| process.fields[children[*node]].name.as_str())
        .collect();
    let (Some(first), Some(second)) = (names.first(), names.get(1)) else {
        return;
    };
    let first_field = &process.fields[children[cycle[0]]];
    let span_target = first_field
        .wait_targets()
        .iter()
        .find(|target| target.unraw() == second)
        .map_or_else(|| first_field.ident.span(), Ident::span);
    cx.error_at(
        span_target,
        format!(
            "waiting cycle: {}; each field waits for the next one to close, so none of them ever could. \
             Remove one of these #[wait_for(..)] entries (here `{first}` waits for `{second}`)",
            names.join(" -> ")
        ),
    );
}
