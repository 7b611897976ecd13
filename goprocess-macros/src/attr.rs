//! Parsing of the macro arguments (`crate = "path"`, the close budgets)
//! and of the field helper
//! attributes (`#[child]`, `#[child(no_wait)]`, `#[wait_for]`,
//! `#[wait_for(a, b)]`).

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::meta::ParseNestedMeta;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Attribute, Ident, LitStr, Meta, Path, Token};

use crate::ctxt::Ctxt;
use crate::symbol::{
    CFG, CHILD, CLOSE_TIMEOUT, CRATE, ESCALATION, FIELD_ATTRS, NO_WAIT, PROCESS, Symbol, TEARDOWN,
    TIMEOUT, WAIT_FOR,
};

/// The arguments of `#[process(..)]` / `#[teardown(..)]`, each kept with
/// the span of its value so that later checks can point at it.
#[derive(Default)]
pub(crate) struct MacroArgs {
    /// `crate = "path"`.
    pub(crate) krate: Option<Path>,
    /// `close_timeout = "5s"` (`#[process]` only), in milliseconds.
    pub(crate) close_timeout: Option<Budget>,
    /// `escalation = "abort" | "detach"` (`#[process]` only).
    pub(crate) escalation: Option<Escalation>,
    /// `timeout = "2s"` (`#[teardown]` only), in milliseconds.
    pub(crate) timeout: Option<Budget>,
}

/// A duration argument, parsed at compile time.
pub(crate) struct Budget {
    pub(crate) millis: u64,
    /// The argument's name, where "this is not allowed here" errors point.
    pub(crate) key: Span,
}

/// The escalation named by `escalation = ".."`.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub(crate) enum Escalation {
    Abort,
    Detach,
}

/// The accepted duration forms, quoted by every duration error.
const DURATION_FORMS: &str =
    "an integer followed by `ms`, `s`, `m` or `h`, e.g. `\"500ms\"`, `\"5s\"`, `\"2m\"`";

/// Which arguments each macro accepts, as shown in "expected one of" lists.
fn accepted(macro_name: Symbol) -> &'static [(Symbol, &'static str)] {
    if macro_name == PROCESS {
        &[
            (CRATE, "`crate = \"path\"`"),
            (CLOSE_TIMEOUT, "`close_timeout = \"5s\"`"),
            (ESCALATION, "`escalation = \"abort\" | \"detach\"`"),
        ]
    } else {
        &[
            (CRATE, "`crate = \"path\"`"),
            (TIMEOUT, "`timeout = \"2s\"`"),
        ]
    }
}

fn expected_list(macro_name: Symbol) -> String {
    accepted(macro_name)
        .iter()
        .map(|(_, form)| *form)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parses the arguments of `#[process(..)]` / `#[teardown(..)]`: `crate =
/// "path"` for both, `close_timeout` and `escalation` for `#[process]`,
/// `timeout` for `#[teardown]`. Every mistake is recorded in `cx`; what was
/// valid is returned.
pub(crate) fn macro_args(cx: &Ctxt, args: TokenStream, macro_name: Symbol) -> MacroArgs {
    let mut out = MacroArgs::default();
    let accepts = |word: Symbol| {
        accepted(macro_name)
            .iter()
            .any(|(known, _)| known.0 == word.0)
    };
    let parser = syn::meta::parser(|meta| {
        let duplicate = |cx: &Ctxt, taken: bool| {
            if taken {
                cx.error_spanned_by(
                    &meta.path,
                    format!(
                        "duplicate `{}` argument in #[{macro_name}(..)]; keep only one",
                        path_to_string(&meta.path)
                    ),
                );
            }
            taken
        };
        if meta.path == CRATE {
            let expected = format!("expected `crate = \"path\"` in #[{macro_name}(..)]");
            let lit = string_value(&meta, &expected, "`crate = \"::goprocess\"`")?;
            match lit.parse_with(Path::parse_mod_style) {
                Ok(_) if duplicate(cx, out.krate.is_some()) => {}
                Ok(path) => out.krate = Some(path),
                Err(_) => cx.error_spanned_by(
                    &lit,
                    format!(
                        "`{}` is not a path; expected e.g. `crate = \"::goprocess\"` or `crate = \"my_reexport::goprocess\"`",
                        lit.value()
                    ),
                ),
            }
            Ok(())
        } else if (meta.path == CLOSE_TIMEOUT && accepts(CLOSE_TIMEOUT))
            || (meta.path == TIMEOUT && accepts(TIMEOUT))
        {
            let key_name = path_to_string(&meta.path);
            let expected = format!("expected `{key_name} = \"5s\"` in #[{macro_name}(..)]");
            let lit = string_value(&meta, &expected, &format!("`{key_name} = \"5s\"`"))?;
            let slot = if meta.path == TIMEOUT {
                &mut out.timeout
            } else {
                &mut out.close_timeout
            };
            if !duplicate(cx, slot.is_some()) {
                match parse_duration(&lit.value()) {
                    Ok(millis) => {
                        *slot = Some(Budget {
                            millis,
                            key: path_span(&meta.path),
                        });
                    }
                    Err(why) => cx.error_spanned_by(
                        &lit,
                        format!(
                            "invalid `{key_name}` {why}; the accepted forms are {DURATION_FORMS}"
                        ),
                    ),
                }
            }
            Ok(())
        } else if meta.path == ESCALATION && accepts(ESCALATION) {
            let expected = format!(
                "expected `escalation = \"abort\"` or `escalation = \"detach\"` in #[{macro_name}(..)]"
            );
            let lit = string_value(&meta, &expected, "`escalation = \"detach\"`")?;
            if !duplicate(cx, out.escalation.is_some()) {
                match lit.value().as_str() {
                    "abort" => out.escalation = Some(Escalation::Abort),
                    "detach" => out.escalation = Some(Escalation::Detach),
                    other => cx.error_spanned_by(
                        &lit,
                        format!(
                            "unknown escalation `{other}`; expected `\"abort\"` (abort the tasks of a process still open when its close budget runs out; the default) \
                             or `\"detach\"` (leave them running; its parents stop waiting for it)"
                        ),
                    ),
                }
            }
            Ok(())
        } else {
            let name = path_to_string(&meta.path);
            let hint = misplaced_hint(&name, macro_name);
            cx.error_spanned_by(
                &meta.path,
                format!(
                    "unknown argument `{name}` in #[{macro_name}(..)]; expected one of: {}{hint}",
                    expected_list(macro_name)
                ),
            );
            skip_value(&meta)
        }
    });
    if let Err(error) = parser.parse2(args) {
        let message = error.to_string();
        if message.contains(&format!(" in #[{macro_name}(..)]")) {
            cx.syn_error(error);
        } else {
            cx.error_at(
                error.span(),
                format!(
                    "{message}; #[{macro_name}] takes no arguments or some of: {}",
                    expected_list(macro_name)
                ),
            );
        }
    }
    out
}

/// `= "literal"` after an argument name, with errors that show the form.
fn string_value(meta: &ParseNestedMeta, expected: &str, example: &str) -> syn::Result<LitStr> {
    let value = meta
        .value()
        .map_err(|e| syn::Error::new(e.span(), expected))?;
    value.parse().map_err(|e| {
        syn::Error::new(
            e.span(),
            format!("{expected}: the value must be a string literal, e.g. {example}"),
        )
    })
}

/// A hint for an argument that belongs to the other macro.
fn misplaced_hint(name: &str, macro_name: Symbol) -> String {
    if macro_name == PROCESS && name == TIMEOUT.0 {
        " (`timeout` goes on a `#[teardown]` method; the struct's whole close budget is `close_timeout`)"
            .to_owned()
    } else if macro_name == TEARDOWN && name == CLOSE_TIMEOUT.0 {
        " (`close_timeout` goes on the `#[process]` struct; the teardown's own budget is `timeout`)"
            .to_owned()
    } else if macro_name == TEARDOWN && name == ESCALATION.0 {
        " (`escalation` goes on the `#[process]` struct)".to_owned()
    } else {
        String::new()
    }
}

fn path_span(path: &Path) -> Span {
    path.segments
        .first()
        .map_or_else(Span::call_site, |segment| segment.ident.span())
}

/// `"500ms"`, `"5s"`, `"2m"`, `"1h"` → milliseconds. The error says what is
/// wrong with the text (the caller adds the accepted forms).
pub(crate) fn parse_duration(text: &str) -> Result<u64, String> {
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits_end);
    let factor: u64 = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "" if !number.is_empty() => {
            return Err(format!("`{text}`: the unit is missing"));
        }
        _ if number.is_empty() => return Err(format!("`{text}`: it must start with an integer")),
        _ => return Err(format!("`{text}`: unknown unit `{unit}`")),
    };
    let value: u64 = number
        .parse()
        .map_err(|_| format!("`{text}`: the number is too large"))?;
    let millis = value
        .checked_mul(factor)
        .ok_or_else(|| format!("`{text}`: the duration is too large"))?;
    if millis == 0 {
        return Err(format!(
            "`{text}`: a zero budget would time out at once; give a positive duration"
        ));
    }
    Ok(millis)
}

/// Skips the `= value` or `(..)` after an unknown argument, so that the
/// arguments after it are still checked.
fn skip_value(meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.input.parse::<Token![=]>()?;
        meta.input.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.input.parse::<TokenTree>()?;
    }
    Ok(())
}

/// `a::b::c`, as the user would write it (no spaces).
pub(crate) fn path_to_string(path: &Path) -> String {
    let segments = path
        .segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect::<Vec<_>>()
        .join("::");
    if path.leading_colon.is_some() {
        format!("::{segments}")
    } else {
        segments
    }
}

/// `#[child]` or `#[child(no_wait)]`.
pub(crate) struct ChildAttr {
    /// The `no_wait` token, if given.
    pub(crate) no_wait: Option<Span>,
}

/// Bare `#[wait_for]`, or `#[wait_for(a, b)]` with its sibling names.
pub(crate) struct WaitForAttr<'a> {
    pub(crate) attr: &'a Attribute,
    /// `None` for bare `#[wait_for]`.
    pub(crate) targets: Option<Vec<Ident>>,
}

/// What `#[process]` reads from the attributes of one field.
#[derive(Default)]
pub(crate) struct FieldAttrs<'a> {
    pub(crate) child: Option<ChildAttr>,
    pub(crate) wait_for: Option<WaitForAttr<'a>>,
    /// `#[cfg(..)]` attributes, copied onto the generated statements.
    pub(crate) cfgs: Vec<&'a Attribute>,
}

const FIELD_ATTR_HELP: &str =
    "expected one of `#[child]`, `#[child(no_wait)]`, `#[wait_for]`, `#[wait_for(a, b)]`";

impl<'a> FieldAttrs<'a> {
    /// Reads the helper attributes of the field `field`, recording every
    /// mistake in `cx`.
    pub(crate) fn from_attrs(cx: &Ctxt, field: &str, attrs: &'a [Attribute]) -> Self {
        let mut this = FieldAttrs::default();
        for attr in attrs {
            let path = attr.path();
            if path == CHILD {
                if this.child.is_some() {
                    cx.error_spanned_by(
                        attr,
                        format!(
                            "duplicate #[child] on field `{field}`; keep one: `#[child]` or `#[child(no_wait)]`"
                        ),
                    );
                } else {
                    this.child = Some(parse_child(cx, attr));
                }
            } else if path == WAIT_FOR {
                if this.wait_for.is_some() {
                    cx.error_spanned_by(
                        attr,
                        format!(
                            "duplicate #[wait_for] on field `{field}`; name every sibling in one attribute: `#[wait_for(a, b)]`"
                        ),
                    );
                } else {
                    this.wait_for = Some(parse_wait_for(cx, attr));
                }
            } else if path == CFG {
                this.cfgs.push(attr);
            } else if path == TEARDOWN {
                cx.error_spanned_by(
                    attr,
                    "#[teardown] goes on one method of the struct's `impl` block, not on a field: \
                     `impl MyProcess { #[teardown] async fn close(&self) { .. } }`",
                );
            } else if path == PROCESS {
                cx.error_spanned_by(
                    attr,
                    "#[process] goes on the struct; on a field, use `#[child]` or `#[wait_for]`",
                );
            } else if let Some(ident) = path.get_ident().filter(|ident| is_near_miss(ident)) {
                cx.error_spanned_by(
                    attr,
                    format!(
                        "unknown attribute `#[{ident}]` on a #[process] field; {FIELD_ATTR_HELP}"
                    ),
                );
            }
        }
        this
    }
}

fn parse_child(cx: &Ctxt, attr: &Attribute) -> ChildAttr {
    let mut no_wait = None;
    match &attr.meta {
        Meta::Path(_) => {}
        Meta::List(_) => {
            let result = attr.parse_nested_meta(|meta| {
                if meta.path == NO_WAIT {
                    if !meta.input.is_empty() && !meta.input.peek(Token![,]) {
                        cx.error_spanned_by(
                            &meta.path,
                            "`no_wait` takes no value; write `#[child(no_wait)]`",
                        );
                        skip_value(&meta)?;
                    } else if no_wait.is_some() {
                        cx.error_spanned_by(&meta.path, "duplicate `no_wait` in #[child(..)]");
                    }
                    no_wait = Some(
                        meta.path
                            .segments
                            .first()
                            .map_or_else(Span::call_site, |segment| segment.ident.span()),
                    );
                    Ok(())
                } else {
                    cx.error_spanned_by(
                        &meta.path,
                        format!(
                            "unknown argument `{}` in #[child(..)]; expected `no_wait`",
                            path_to_string(&meta.path)
                        ),
                    );
                    skip_value(&meta)
                }
            });
            if let Err(error) = result {
                cx.error_at(
                    error.span(),
                    format!("{error}; expected `#[child]` or `#[child(no_wait)]`"),
                );
            }
        }
        Meta::NameValue(_) => {
            cx.error_spanned_by(attr, "expected `#[child]` or `#[child(no_wait)]`");
        }
    }
    ChildAttr { no_wait }
}

fn parse_wait_for<'a>(cx: &Ctxt, attr: &'a Attribute) -> WaitForAttr<'a> {
    let targets = match &attr.meta {
        Meta::Path(_) => None,
        Meta::List(list) => {
            match list.parse_args_with(Punctuated::<Ident, Token![,]>::parse_terminated) {
                Ok(names) if names.is_empty() => {
                    cx.error_spanned_by(
                        attr,
                        "empty #[wait_for()]: name the sibling `#[child]` fields that must close first, \
                         `#[wait_for(a, b)]`, or write bare `#[wait_for]` to wait for this field without closing it",
                    );
                    Some(Vec::new())
                }
                Ok(names) => {
                    let mut unique: Vec<Ident> = Vec::new();
                    for name in names {
                        if unique.contains(&name) {
                            cx.error_spanned_by(
                                &name,
                                format!("`{name}` is listed twice in #[wait_for(..)]; remove one"),
                            );
                        } else {
                            unique.push(name);
                        }
                    }
                    Some(unique)
                }
                Err(error) => {
                    cx.error_at(
                        error.span(),
                        format!(
                            "{error}; expected the names of sibling `#[child]` fields: `#[wait_for(a, b)]`"
                        ),
                    );
                    Some(Vec::new())
                }
            }
        }
        Meta::NameValue(_) => {
            cx.error_spanned_by(attr, "expected `#[wait_for]` or `#[wait_for(a, b)]`");
            Some(Vec::new())
        }
    };
    WaitForAttr { attr, targets }
}

/// Whether `attr` is consumed by `#[process]`, so it must not reach the
/// emitted struct: the helper attributes, and the near-misses reported as
/// unknown (stripped so that they are reported once, by us).
pub(crate) fn is_field_helper(attr: &Attribute) -> bool {
    let path = attr.path();
    FIELD_ATTRS.iter().any(|known| path == *known) || path.get_ident().is_some_and(is_near_miss)
}

/// A single-word attribute that looks like a misspelt helper attribute:
/// `#[childs]`, `#[waitfor]`, `#[no_wait]`… Other attributes (`doc`, `cfg`,
/// other derives' helpers) pass through untouched.
fn is_near_miss(ident: &Ident) -> bool {
    let name = ident.to_string();
    if FIELD_ATTRS.iter().any(|known| name == known.0) {
        return false;
    }
    let normalized: String = name
        .chars()
        .filter(|c| *c != '_')
        .flat_map(char::to_lowercase)
        .collect();
    const LOOKALIKES: [&str; 8] = [
        "nowait",
        "children",
        "wait",
        "waits",
        "waitsfor",
        "after",
        "waitafter",
        "dependson",
    ];
    LOOKALIKES.contains(&normalized.as_str())
        || (normalized.len() >= 4
            && ["child", "waitfor"]
                .iter()
                .any(|known| edit_distance(&normalized, known) <= 2))
}

/// Levenshtein distance, for "did you mean" hints.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            let insertion = current[j] + 1;
            let deletion = previous[j + 1] + 1;
            current.push(substitution.min(insertion).min(deletion));
        }
        previous = current;
    }
    previous.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_are_caught_and_others_pass_through() {
        for name in [
            "childs",
            "children",
            "chlid",
            "waitfor",
            "wait_after",
            "no_wait",
            "Child",
        ] {
            let ident = Ident::new(name, Span::call_site());
            assert!(is_near_miss(&ident), "{name}");
        }
        for name in [
            "child",
            "wait_for",
            "doc",
            "cfg",
            "serde",
            "allow",
            "field",
            "deprecated",
        ] {
            let ident = Ident::new(name, Span::call_site());
            assert!(!is_near_miss(&ident), "{name}");
        }
    }

    #[test]
    fn durations_parse_to_millis() {
        for (text, millis) in [
            ("500ms", 500),
            ("5s", 5_000),
            ("2m", 120_000),
            ("1h", 3_600_000),
            ("007s", 7_000),
        ] {
            assert_eq!(parse_duration(text), Ok(millis), "{text}");
        }
        for bad in [
            "",
            "5",
            "s",
            "5 s",
            "5sec",
            "1.5s",
            "-1s",
            "0s",
            "0ms",
            "5S",
            "99999999999999999999s",
            "18446744073709551615h",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert!(parse_duration("0s").unwrap_err().contains("zero budget"));
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("child", "child"), 0);
        assert_eq!(edit_distance("chlid", "child"), 2);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("waitfr", "waitfor"), 1);
    }
}
