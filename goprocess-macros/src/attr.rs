//! Parsing: the arguments of `#[process(..)]`, `#[teardown(..)]` and
//! `#[run(..)]`, and the field helper attributes (`#[child]`,
//! `#[child(no_wait)]`, `#[child(name = "…")]`, `#[wait_for]`,
//! `#[wait_for(a, b)]`). Each argument and attribute is set at most once,
//! through [`Attr`].

use std::cell::Cell;

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Attribute, Ident, LitStr, Meta, Path, Token};

use crate::ctxt::Ctxt;
use crate::symbol::{
    CFG, CHILD, CLOSE_TIMEOUT, CRATE, ESCALATION, FIELD_ATTRS, NAME, NO_WAIT, ON_FAILURE, PROCESS,
    RUN, Symbol, TEARDOWN, TIMEOUT, WAIT_FOR, names_macro,
};

// ------------------------------------------------------------ set once

/// A value that may be given once. A second [`set`](Attr::set) records a
/// "duplicate" error at its own tokens and keeps the first value.
pub(crate) struct Attr<'c, T> {
    cx: &'c Ctxt,
    /// The whole error message for a second occurrence.
    duplicate: String,
    value: Option<T>,
}

impl<'c, T> Attr<'c, T> {
    pub(crate) fn none(cx: &'c Ctxt, duplicate: impl Into<String>) -> Self {
        Attr {
            cx,
            duplicate: duplicate.into(),
            value: None,
        }
    }

    pub(crate) fn set<A: ToTokens>(&mut self, obj: A, value: T) {
        if self.value.is_some() {
            self.cx.error_spanned_by(obj, &self.duplicate);
        } else {
            self.value = Some(value);
        }
    }

    pub(crate) fn get(self) -> Option<T> {
        self.value
    }
}

/// A flag argument (`no_wait`): present or not, at most once. Keeps the
/// span of its word.
pub(crate) struct BoolAttr<'c>(Attr<'c, Span>);

impl<'c> BoolAttr<'c> {
    pub(crate) fn none(cx: &'c Ctxt, duplicate: impl Into<String>) -> Self {
        BoolAttr(Attr::none(cx, duplicate))
    }

    pub(crate) fn set_true(&mut self, word: &Path) {
        self.0.set(word, path_span(word));
    }

    pub(crate) fn get(self) -> Option<Span> {
        self.0.get()
    }
}

// ------------------------------------------------------- macro arguments

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

/// The policy named by `on_failure = ".."`.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub(crate) enum OnFailure {
    Isolate,
    Propagate,
}

/// The arguments of `#[process(..)]`.
pub(crate) struct ProcessArgs {
    pub(crate) krate: Option<Path>,
    pub(crate) close_timeout: Option<Budget>,
    pub(crate) escalation: Option<Escalation>,
    pub(crate) on_failure: Option<OnFailure>,
}

/// The arguments of `#[teardown(..)]`.
pub(crate) struct TeardownArgs {
    pub(crate) krate: Option<Path>,
    pub(crate) timeout: Option<Budget>,
}

/// The arguments of `#[run(..)]`.
pub(crate) struct RunArgs {
    pub(crate) krate: Option<Path>,
}

/// An argument a macro accepts, as "expected one of" lists show it.
type Accepted = (Symbol, &'static str);

const CRATE_FORM: Accepted = (CRATE, "`crate = \"path\"`");

const PROCESS_ACCEPTS: &[Accepted] = &[
    CRATE_FORM,
    (CLOSE_TIMEOUT, "`close_timeout = \"5s\"`"),
    (ESCALATION, "`escalation = \"abort\" | \"detach\"`"),
    (ON_FAILURE, "`on_failure = \"isolate\" | \"propagate\"`"),
];
const TEARDOWN_ACCEPTS: &[Accepted] = &[CRATE_FORM, (TIMEOUT, "`timeout = \"2s\"`")];
const RUN_ACCEPTS: &[Accepted] = &[CRATE_FORM];

/// The accepted duration forms, quoted by every duration error.
const DURATION_FORMS: &str =
    "an integer followed by `ms`, `s`, `m` or `h`, e.g. `\"500ms\"`, `\"5s\"`, `\"2m\"`";

impl ProcessArgs {
    pub(crate) fn parse(cx: &Ctxt, tokens: TokenStream) -> ProcessArgs {
        let args = Args::new(cx, PROCESS, PROCESS_ACCEPTS);
        let mut krate = args.attr(CRATE);
        let mut close_timeout = args.attr(CLOSE_TIMEOUT);
        let mut escalation = args.attr(ESCALATION);
        let mut on_failure = args.attr(ON_FAILURE);
        args.parse(tokens, |key, meta| {
            if key == CRATE {
                args.krate(meta, &mut krate)
            } else if key == CLOSE_TIMEOUT {
                args.duration(meta, &mut close_timeout)
            } else if key == ESCALATION {
                args.choice(
                    meta,
                    &mut escalation,
                    &[("abort", Escalation::Abort), ("detach", Escalation::Detach)],
                    "`\"abort\"` (abort the tasks of a process still open when its close budget runs out; the default) \
                     or `\"detach\"` (leave them running; its parents stop waiting for it)",
                )
            } else {
                args.choice(
                    meta,
                    &mut on_failure,
                    &[("isolate", OnFailure::Isolate), ("propagate", OnFailure::Propagate)],
                    "`\"isolate\"` (its failure is kept in its parents' errors; the default) \
                     or `\"propagate\"` (its failure closes the processes it is a child of)",
                )
            }
        });
        ProcessArgs {
            krate: krate.get(),
            close_timeout: close_timeout.get(),
            escalation: escalation.get(),
            on_failure: on_failure.get(),
        }
    }
}

impl TeardownArgs {
    pub(crate) fn parse(cx: &Ctxt, tokens: TokenStream) -> TeardownArgs {
        let args = Args::new(cx, TEARDOWN, TEARDOWN_ACCEPTS);
        let mut krate = args.attr(CRATE);
        let mut timeout = args.attr(TIMEOUT);
        args.parse(tokens, |key, meta| {
            if key == CRATE {
                args.krate(meta, &mut krate)
            } else {
                args.duration(meta, &mut timeout)
            }
        });
        TeardownArgs {
            krate: krate.get(),
            timeout: timeout.get(),
        }
    }
}

impl RunArgs {
    pub(crate) fn parse(cx: &Ctxt, tokens: TokenStream) -> RunArgs {
        let args = Args::new(cx, RUN, RUN_ACCEPTS);
        let mut krate = args.attr(CRATE);
        args.parse(tokens, |_, meta| args.krate(meta, &mut krate));
        RunArgs { krate: krate.get() }
    }
}

/// The argument parser of one macro.
struct Args<'c> {
    cx: &'c Ctxt,
    macro_name: Symbol,
    accepts: &'static [Accepted],
    /// An argument's value could not be read, which was reported; the
    /// arguments after it are not read.
    gave_up: Cell<bool>,
}

impl<'c> Args<'c> {
    fn new(cx: &'c Ctxt, macro_name: Symbol, accepts: &'static [Accepted]) -> Self {
        Args {
            cx,
            macro_name,
            accepts,
            gave_up: Cell::new(false),
        }
    }

    /// The set-once slot of argument `key`.
    fn attr<T>(&self, key: Symbol) -> Attr<'c, T> {
        Attr::none(
            self.cx,
            format!(
                "duplicate `{key}` argument in #[{}(..)]; keep only one",
                self.macro_name
            ),
        )
    }

    fn expected_list(&self) -> String {
        self.accepts
            .iter()
            .map(|(_, form)| *form)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Reads `key = value, ..`: accepted keys go to `on_arg`, others are
    /// reported with the list of accepted ones. Every mistake is recorded.
    fn parse(
        &self,
        tokens: TokenStream,
        mut on_arg: impl FnMut(Symbol, &ParseNestedMeta) -> syn::Result<()>,
    ) {
        let parser = syn::meta::parser(|meta| {
            match self.accepts.iter().find(|(key, _)| meta.path == *key) {
                Some((key, _)) => on_arg(*key, &meta),
                None => {
                    let name = path_to_string(&meta.path);
                    self.cx.error_spanned_by(
                        &meta.path,
                        format!(
                            "unknown argument `{name}` in #[{}(..)]; expected one of: {}{}",
                            self.macro_name,
                            self.expected_list(),
                            misplaced_hint(&name, self.macro_name)
                        ),
                    );
                    skip_value(&meta)
                }
            }
        });
        let Err(error) = parser.parse2(tokens) else {
            return;
        };
        if !self.gave_up.get() {
            self.cx.error_at(
                error.span(),
                format!(
                    "{error}; #[{}] takes no arguments or some of: {}",
                    self.macro_name,
                    self.expected_list()
                ),
            );
        }
    }

    /// Records `message` at `span` and stops reading the arguments.
    fn give_up(&self, span: Span, message: String) -> syn::Error {
        self.cx.error_at(span, message);
        self.gave_up.set(true);
        syn::Error::new(span, "reported")
    }

    /// The string literal after `key =`; `None` (reported) if the value
    /// is something else.
    fn string(&self, meta: &ParseNestedMeta, example: &str) -> syn::Result<Option<LitStr>> {
        let key = path_to_string(&meta.path);
        let expected = format!("expected `{key} = {example}` in #[{}(..)]", self.macro_name);
        let value = meta
            .value()
            .map_err(|error| self.give_up(error.span(), expected.clone()))?;
        if value.peek(LitStr) {
            return value.parse().map(Some);
        }
        let span = value.span();
        value
            .parse::<syn::Expr>()
            .map_err(|error| self.give_up(error.span(), expected.clone()))?;
        self.cx.error_at(
            span,
            format!("{expected}: the value must be a string literal, e.g. `{key} = {example}`"),
        );
        Ok(None)
    }

    /// `crate = "path"`.
    fn krate(&self, meta: &ParseNestedMeta, slot: &mut Attr<Path>) -> syn::Result<()> {
        let Some(lit) = self.string(meta, "\"::goprocess\"")? else {
            return Ok(());
        };
        match lit.parse_with(Path::parse_mod_style) {
            Ok(path) => slot.set(&meta.path, path),
            Err(_) => self.cx.error_spanned_by(
                &lit,
                format!(
                    "`{}` is not a path; expected e.g. `crate = \"::goprocess\"` or `crate = \"my_reexport::goprocess\"`",
                    lit.value()
                ),
            ),
        }
        Ok(())
    }

    /// `close_timeout = "5s"` / `timeout = "2s"`.
    fn duration(&self, meta: &ParseNestedMeta, slot: &mut Attr<Budget>) -> syn::Result<()> {
        let Some(lit) = self.string(meta, "\"5s\"")? else {
            return Ok(());
        };
        match parse_duration(&lit.value()) {
            Ok(millis) => slot.set(
                &meta.path,
                Budget {
                    millis,
                    key: path_span(&meta.path),
                },
            ),
            Err(why) => self.cx.error_spanned_by(
                &lit,
                format!(
                    "invalid `{}` {why}; the accepted forms are {DURATION_FORMS}",
                    path_to_string(&meta.path)
                ),
            ),
        }
        Ok(())
    }

    /// One of a few words: `escalation = ".."`, `on_failure = ".."`.
    fn choice<T: Copy>(
        &self,
        meta: &ParseNestedMeta,
        slot: &mut Attr<T>,
        words: &[(&str, T)],
        expected: &str,
    ) -> syn::Result<()> {
        let example = format!("\"{}\"", words[0].0);
        let Some(lit) = self.string(meta, &example)? else {
            return Ok(());
        };
        let value = lit.value();
        match words.iter().find(|(word, _)| *word == value) {
            Some((_, choice)) => slot.set(&meta.path, *choice),
            None => self.cx.error_spanned_by(
                &lit,
                format!(
                    "unknown {} `{value}`; expected {expected}",
                    path_to_string(&meta.path)
                ),
            ),
        }
        Ok(())
    }
}

/// A hint for an argument that belongs to another macro.
fn misplaced_hint(name: &str, macro_name: Symbol) -> &'static str {
    let on_process = [CLOSE_TIMEOUT.0, ESCALATION.0, ON_FAILURE.0].contains(&name);
    if macro_name == PROCESS && name == TIMEOUT.0 {
        " (`timeout` goes on a `#[teardown]` method; the struct's whole close budget is `close_timeout`)"
    } else if macro_name == TEARDOWN && name == CLOSE_TIMEOUT.0 {
        " (`close_timeout` goes on the `#[process]` struct; the teardown's own budget is `timeout`)"
    } else if macro_name == RUN && (name == TIMEOUT.0 || name == CLOSE_TIMEOUT.0) {
        " (a `#[run]` has no budget of its own: it is asked to return when the struct closes, \
         within the struct's `#[process(close_timeout = \"..\")]`)"
    } else if macro_name != PROCESS && on_process {
        " (it goes on the `#[process]` struct)"
    } else {
        ""
    }
}

fn path_span(path: &Path) -> Span {
    path.segments
        .first()
        .map_or_else(Span::call_site, |segment| segment.ident.span())
}

// ---------------------------------------------------------------- values

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

// ------------------------------------------------------ field attributes

/// `#[child]`, `#[child(no_wait)]`, `#[child(name = "…")]`.
pub(crate) struct ChildAttr {
    /// The `no_wait` word, if given.
    pub(crate) no_wait: Option<Span>,
    /// `name = "…"`: the name of the field's processes.
    pub(crate) name: Option<LitStr>,
}

/// Bare `#[wait_for]`, or `#[wait_for(a, b)]` with its sibling names.
pub(crate) struct WaitForAttr<'a> {
    pub(crate) attr: &'a Attribute,
    /// `None` for bare `#[wait_for]`.
    pub(crate) targets: Option<Vec<Ident>>,
}

/// What `#[process]` reads from the attributes of one field.
pub(crate) struct FieldAttrs<'a> {
    pub(crate) child: Option<ChildAttr>,
    pub(crate) wait_for: Option<WaitForAttr<'a>>,
    /// `#[cfg(..)]` attributes, copied onto the generated statements.
    pub(crate) cfgs: Vec<&'a Attribute>,
}

const FIELD_ATTR_HELP: &str = "expected one of `#[child]`, `#[child(no_wait)]`, `#[child(name = \"..\")]`, \
     `#[wait_for]`, `#[wait_for(a, b)]`";
const CHILD_FORMS: &str = "`#[child]`, `#[child(no_wait)]`, `#[child(name = \"..\")]`";

impl<'a> FieldAttrs<'a> {
    /// Reads the helper attributes of the field `field`, recording every
    /// mistake in `cx`.
    pub(crate) fn from_attrs(cx: &Ctxt, field: &str, attrs: &'a [Attribute]) -> Self {
        let mut child = Attr::none(
            cx,
            format!(
                "duplicate #[child] on field `{field}`; keep one, with all its arguments: {CHILD_FORMS}"
            ),
        );
        let mut wait_for = Attr::none(
            cx,
            format!(
                "duplicate #[wait_for] on field `{field}`; name every sibling in one attribute: `#[wait_for(a, b)]`"
            ),
        );
        let mut cfgs = Vec::new();
        for attr in attrs {
            let path = attr.path();
            if path == CHILD {
                child.set(attr, parse_child(cx, attr));
            } else if path == WAIT_FOR {
                wait_for.set(attr, parse_wait_for(cx, attr));
            } else if path == CFG {
                cfgs.push(attr);
            } else if names_macro(path, TEARDOWN) || names_macro(path, RUN) {
                let (attr_name, method) = if names_macro(path, RUN) {
                    (RUN, "serve")
                } else {
                    (TEARDOWN, "close")
                };
                cx.error_spanned_by(
                    attr,
                    format!(
                        "#[{attr_name}] goes on one method of the struct's `impl` block, not on a field: \
                         `impl MyProcess {{ #[{attr_name}] async fn {method}(&self) {{ .. }} }}`"
                    ),
                );
            } else if names_macro(path, PROCESS) {
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
        FieldAttrs {
            child: child.get(),
            wait_for: wait_for.get(),
            cfgs,
        }
    }
}

fn parse_child(cx: &Ctxt, attr: &Attribute) -> ChildAttr {
    let mut no_wait = BoolAttr::none(cx, "duplicate `no_wait` in #[child(..)]; keep only one");
    let mut name = Attr::none(cx, "duplicate `name` in #[child(..)]; keep only one");
    match &attr.meta {
        Meta::Path(_) => {}
        Meta::List(_) => {
            let result = attr.parse_nested_meta(|meta| {
                if meta.path == NO_WAIT {
                    if meta.input.is_empty() || meta.input.peek(Token![,]) {
                        no_wait.set_true(&meta.path);
                        Ok(())
                    } else {
                        cx.error_spanned_by(
                            &meta.path,
                            "`no_wait` takes no value; write `#[child(no_wait)]`",
                        );
                        skip_value(&meta)
                    }
                } else if meta.path == NAME {
                    let value = meta.value()?;
                    if !value.peek(LitStr) {
                        let span = value.span();
                        value.parse::<syn::Expr>()?;
                        cx.error_at(
                            span,
                            "the name must be a string literal: `#[child(name = \"frontend\")]`",
                        );
                        return Ok(());
                    }
                    let lit: LitStr = value.parse()?;
                    if lit.value().trim().is_empty() {
                        cx.error_spanned_by(
                            &lit,
                            "an empty name would hide the field in errors and snapshots; \
                             give a name, or remove `name` to use the field's own",
                        );
                    } else {
                        name.set(&meta.path, lit);
                    }
                    Ok(())
                } else {
                    cx.error_spanned_by(
                        &meta.path,
                        format!(
                            "unknown argument `{}` in #[child(..)]; expected `no_wait` or `name = \"..\"`",
                            path_to_string(&meta.path)
                        ),
                    );
                    skip_value(&meta)
                }
            });
            if let Err(error) = result {
                cx.error_at(
                    error.span(),
                    format!("{error}; expected one of {CHILD_FORMS}"),
                );
            }
        }
        Meta::NameValue(_) => {
            cx.error_spanned_by(attr, format!("expected one of {CHILD_FORMS}"));
        }
    }
    ChildAttr {
        no_wait: no_wait.get(),
        name: name.get(),
    }
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
/// emitted struct: the helper attributes, and the mistakes reported by
/// [`FieldAttrs::from_attrs`] (near-misses, the macros that go elsewhere),
/// stripped so that they are reported once, by us.
pub(crate) fn is_field_helper(attr: &Attribute) -> bool {
    let path = attr.path();
    FIELD_ATTRS.iter().any(|known| path == *known)
        || path.get_ident().is_some_and(is_near_miss)
        || [PROCESS, TEARDOWN, RUN]
            .iter()
            .any(|word| names_macro(path, *word))
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
