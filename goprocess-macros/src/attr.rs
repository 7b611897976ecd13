//! Parsing: the arguments of `#[process(..)]`, `#[teardown(..)]`,
//! `#[run(..)]` and `#[init(..)]`, and the field helper attributes (`#[child]`,
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
    CFG_ATTR, CHILD, CHILDREN_ON_FAILURE, CLOSE_TIMEOUT, CRATE, ESCALATION, FIELD_ATTRS, HELPER,
    INIT, NAME, NO_WAIT, ON_FAILURE, PROCESS, RESERVE, RUN, Symbol, TEARDOWN, TIMEOUT, WAIT_FOR,
    names_macro,
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
    pub(crate) nanos: u64,
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
    pub(crate) children_on_failure: Option<OnFailure>,
}

/// The arguments of `#[teardown(..)]`.
pub(crate) struct TeardownArgs {
    pub(crate) krate: Option<Path>,
    pub(crate) timeout: Option<Budget>,
    pub(crate) reserve: Option<Budget>,
}

/// The arguments of `#[run(..)]` and `#[init(..)]`.
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
    (
        CHILDREN_ON_FAILURE,
        "`children_on_failure = \"isolate\" | \"propagate\"`",
    ),
];
const TEARDOWN_ACCEPTS: &[Accepted] = &[
    CRATE_FORM,
    (TIMEOUT, "`timeout = \"2s\"`"),
    (RESERVE, "`reserve = \"300ms\"`"),
];
const RUN_ACCEPTS: &[Accepted] = &[CRATE_FORM];

/// The accepted duration forms, quoted by every duration error.
const DURATION_FORMS: &str = "numbers each followed by a unit, as humantime reads them, decimals allowed: \
     `\"500ms\"`, `\"5s\"`, `\"1.5s\"`, `\"1m30s\"`, `\"2h 15m\"`; the units are `ns`, `us`, `ms`, `s`, `m`, `h`, `d`, `w`, \
     `M` (month), `y` and their long forms (`sec`, `min`, `hours`, ...)";

impl ProcessArgs {
    pub(crate) fn parse(cx: &Ctxt, tokens: TokenStream) -> ProcessArgs {
        let args = Args::new(cx, PROCESS, PROCESS_ACCEPTS);
        let mut krate = args.attr(CRATE);
        let mut close_timeout = args.attr(CLOSE_TIMEOUT);
        let mut escalation = args.attr(ESCALATION);
        let mut on_failure = args.attr(ON_FAILURE);
        let mut children_on_failure = args.attr(CHILDREN_ON_FAILURE);
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
            } else if key == ON_FAILURE {
                args.choice(
                    meta,
                    &mut on_failure,
                    &[("isolate", OnFailure::Isolate), ("propagate", OnFailure::Propagate)],
                    "`\"isolate\"` (its failure is kept in its parents' errors; the default) \
                     or `\"propagate\"` (its failure closes the processes it is a child of)",
                )
            } else {
                args.choice(
                    meta,
                    &mut children_on_failure,
                    &[("isolate", OnFailure::Isolate), ("propagate", OnFailure::Propagate)],
                    "`\"isolate\"` (the processes linked under the struct keep their failures to themselves; the default) \
                     or `\"propagate\"` (a failure below the struct closes the struct and its surroundings, unless the part \
                     that failed set its own `on_failure`)",
                )
            }
        });
        ProcessArgs {
            krate: krate.get(),
            close_timeout: close_timeout.get(),
            escalation: escalation.get(),
            on_failure: on_failure.get(),
            children_on_failure: children_on_failure.get(),
        }
    }
}

impl TeardownArgs {
    pub(crate) fn parse(cx: &Ctxt, tokens: TokenStream) -> TeardownArgs {
        let args = Args::new(cx, TEARDOWN, TEARDOWN_ACCEPTS);
        let mut krate = args.attr(CRATE);
        let mut timeout = args.attr(TIMEOUT);
        let mut reserve = args.attr(RESERVE);
        args.parse(tokens, |key, meta| {
            if key == CRATE {
                args.krate(meta, &mut krate)
            } else if key == TIMEOUT {
                args.duration(meta, &mut timeout)
            } else {
                args.duration(meta, &mut reserve)
            }
        });
        TeardownArgs {
            krate: krate.get(),
            timeout: timeout.get(),
            reserve: reserve.get(),
        }
    }
}

impl RunArgs {
    /// The arguments of `#[run(..)]`, or of `#[init(..)]` (`macro_name`).
    pub(crate) fn parse(cx: &Ctxt, macro_name: Symbol, tokens: TokenStream) -> RunArgs {
        let args = Args::new(cx, macro_name, RUN_ACCEPTS);
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
            Ok(nanos) => slot.set(
                &meta.path,
                Budget {
                    nanos,
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
    let on_process = [
        CLOSE_TIMEOUT.0,
        ESCALATION.0,
        ON_FAILURE.0,
        CHILDREN_ON_FAILURE.0,
    ]
    .contains(&name);
    if macro_name == PROCESS && name == TIMEOUT.0 {
        " (`timeout` goes on a `#[teardown]` method; the struct's whole close budget is `close_timeout`)"
    } else if macro_name == PROCESS && name == RESERVE.0 {
        " (`reserve` goes on the `#[teardown]` method whose time it keeps)"
    } else if macro_name == TEARDOWN && name == CLOSE_TIMEOUT.0 {
        " (`close_timeout` goes on the `#[process]` struct; the teardown's own budget is `timeout`)"
    } else if macro_name == RUN && (name == TIMEOUT.0 || name == CLOSE_TIMEOUT.0) {
        " (a `#[run]` has no budget of its own: it is asked to return when the struct closes, \
         within the struct's `#[process(close_timeout = \"..\")]`)"
    } else if macro_name == INIT && (name == TIMEOUT.0 || name == CLOSE_TIMEOUT.0) {
        " (an `#[init]` has no budget of its own: give the whole start one with `ready_within` \
         or `Shutdown::start_within`; the init is dropped when the struct closes)"
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

/// `"500ms"`, `"1.5s"`, `"1m30s"`, `"2h 15m"` → nanoseconds: one or more
/// numbers, each followed by a unit, as humantime reads them (its units,
/// with spaces between the parts or not), and decimals too. The error says
/// what is wrong with the text (the caller adds the accepted forms).
pub(crate) fn parse_duration(text: &str) -> Result<u64, String> {
    const SECOND: u128 = 1_000_000_000;
    const UNITS: &[(&[&str], u128)] = &[
        (&["nanoseconds", "nanosecond", "nsec", "ns"], 1),
        (
            &["microseconds", "microsecond", "usec", "us", "\u{b5}s"],
            1_000,
        ),
        (&["milliseconds", "millisecond", "msec", "ms"], 1_000_000),
        (&["seconds", "second", "secs", "sec", "s"], SECOND),
        (&["minutes", "minute", "mins", "min", "m"], 60 * SECOND),
        (&["hours", "hour", "hrs", "hr", "h"], 3_600 * SECOND),
        (&["days", "day", "d"], 86_400 * SECOND),
        (&["weeks", "week", "w"], 7 * 86_400 * SECOND),
        (&["months", "month", "M"], 2_630_016 * SECOND),
        (&["years", "year", "y"], 31_557_600 * SECOND),
    ];
    if text.trim().is_empty() {
        return Err("`\"\"`: it is empty".to_owned());
    }
    let mut rest = text.trim_start();
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(number_end);
        let after = after.trim_start();
        let unit_end = after
            .find(|c: char| c.is_ascii_digit() || c == '.' || c.is_whitespace())
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_end);
        if number.is_empty() {
            return Err(format!("`{text}`: `{rest}` must start with a number"));
        }
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if whole.is_empty()
            || fraction.contains('.')
            || (number.contains('.') && fraction.is_empty())
        {
            return Err(format!("`{text}`: `{number}` is not a number"));
        }
        if unit.is_empty() {
            return Err(format!("`{text}`: the unit after `{number}` is missing"));
        }
        let Some((_, factor)) = UNITS.iter().find(|(names, _)| names.contains(&unit)) else {
            return Err(format!("`{text}`: unknown unit `{unit}`"));
        };
        let too_large = || format!("`{text}`: the duration is too large");
        let whole: u128 = whole.parse().map_err(|_| too_large())?;
        let mut part = whole.checked_mul(*factor).ok_or_else(too_large)?;
        if !fraction.is_empty() {
            let scale = u32::try_from(fraction.len())
                .ok()
                .and_then(|digits| 10u128.checked_pow(digits))
                .ok_or_else(|| format!("`{text}`: `{number}` has too many decimals"))?;
            let fraction: u128 = fraction.parse().map_err(|_| too_large())?;
            let nanos = fraction.checked_mul(*factor).ok_or_else(too_large)?;
            if nanos % scale != 0 {
                return Err(format!(
                    "`{text}`: `{number}{unit}` is not a whole number of nanoseconds"
                ));
            }
            part += nanos / scale;
        }
        total = total.checked_add(part).ok_or_else(too_large)?;
        rest = after.trim_start();
    }
    let nanos = u64::try_from(total).map_err(|_| format!("`{text}`: the duration is too large"))?;
    if nanos == 0 {
        return Err(format!(
            "`{text}`: a zero budget would time out at once; give a positive duration"
        ));
    }
    Ok(nanos)
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
pub(crate) struct WaitForAttr {
    /// The attribute, as written (inside its `cfg_attr`, if any), for
    /// errors.
    pub(crate) attr: Attribute,
    /// `None` for bare `#[wait_for]`.
    pub(crate) targets: Option<Vec<Ident>>,
}

/// What `#[process]` reads from the attributes of one field. A helper
/// attribute inside `#[cfg_attr(predicate, ..)]` counts as written: the
/// checks hold for every configuration, and the internal derive, which
/// runs once `cfg` and `cfg_attr` are resolved, sees the one that is built.
pub(crate) struct FieldAttrs {
    pub(crate) child: Option<ChildAttr>,
    pub(crate) wait_for: Option<WaitForAttr>,
    /// Whether the field has `#[cfg(..)]`: it may be left out of a build.
    pub(crate) has_cfg: bool,
}

const FIELD_ATTR_HELP: &str = "expected one of `#[child]`, `#[child(no_wait)]`, `#[child(name = \"..\")]`, \
     `#[wait_for]`, `#[wait_for(a, b)]`";
const CHILD_FORMS: &str = "`#[child]`, `#[child(no_wait)]`, `#[child(name = \"..\")]`";

impl FieldAttrs {
    /// Reads the helper attributes of the field `field`, recording every
    /// mistake in `cx`.
    pub(crate) fn from_attrs(cx: &Ctxt, field: &str, attrs: &[Attribute]) -> Self {
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
        let mut has_cfg = false;
        for attr in attrs {
            if attr.path().is_ident("cfg") {
                has_cfg = true;
            }
            let inner = cfg_attr_contents(attr);
            for attr in inner.iter().chain(inner.is_empty().then_some(attr)) {
                let path = attr.path();
                if path == CHILD {
                    child.set(attr, parse_child(cx, attr));
                } else if path == WAIT_FOR {
                    wait_for.set(attr, parse_wait_for(cx, attr));
                } else if names_macro(path, TEARDOWN)
                    || names_macro(path, RUN)
                    || names_macro(path, INIT)
                {
                    let (attr_name, method) = if names_macro(path, RUN) {
                        (RUN, "serve")
                    } else if names_macro(path, INIT) {
                        (INIT, "bind")
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
                } else if path == HELPER {
                    cx.error_spanned_by(
                        attr,
                        format!("`#[{HELPER}]` is internal to #[process]; {FIELD_ATTR_HELP}"),
                    );
                }
            }
        }
        FieldAttrs {
            child: child.get(),
            wait_for: wait_for.get(),
            has_cfg,
        }
    }
}

/// The attributes inside `#[cfg_attr(predicate, a, b(..))]`, each as an
/// attribute of its own spanned at its tokens; empty for other attributes
/// (and for a `cfg_attr` that does not parse, which rustc reports).
fn cfg_attr_contents(attr: &Attribute) -> Vec<Attribute> {
    let Meta::List(list) = &attr.meta else {
        return Vec::new();
    };
    if list.path != CFG_ATTR {
        return Vec::new();
    }
    let Ok((_, metas)) = list.parse_args_with(parse_cfg_attr) else {
        return Vec::new();
    };
    metas
        .into_iter()
        .map(|meta| Attribute {
            pound_token: attr.pound_token,
            style: attr.style,
            bracket_token: attr.bracket_token,
            meta,
        })
        .collect()
}

fn parse_cfg_attr(input: syn::parse::ParseStream) -> syn::Result<(Meta, Vec<Meta>)> {
    let predicate: Meta = input.parse()?;
    input.parse::<Token![,]>()?;
    let metas = Punctuated::<Meta, Token![,]>::parse_terminated(input)?;
    Ok((predicate, metas.into_iter().collect()))
}

/// The attributes of a field as the internal derive reads them: each
/// helper attribute `#[child(..)]` / `#[wait_for(..)]` becomes
/// `#[__goprocess(child(..))]`, inside a `cfg_attr` too, and the mistakes
/// reported by [`FieldAttrs::from_attrs`] (near-misses, the macros that go
/// elsewhere) are left out, so that they are reported once, by us.
pub(crate) fn rewrite_field_attrs(attrs: &mut Vec<Attribute>) {
    attrs.retain(|attr| !is_reported_mistake(attr));
    for attr in attrs.iter_mut() {
        if FIELD_ATTRS.iter().any(|known| attr.path() == *known) {
            attr.meta = wrap(&attr.meta);
            continue;
        }
        let Meta::List(list) = &attr.meta else {
            continue;
        };
        if list.path != CFG_ATTR {
            continue;
        }
        let Ok((predicate, metas)) = list.parse_args_with(parse_cfg_attr) else {
            continue;
        };
        let metas: Vec<Meta> = metas
            .into_iter()
            .filter(|meta| !is_reported_mistake_path(meta.path()))
            .map(|meta| {
                if FIELD_ATTRS.iter().any(|known| meta.path() == *known) {
                    wrap(&meta)
                } else {
                    meta
                }
            })
            .collect();
        let path = &list.path;
        attr.meta = syn::parse_quote!(#path(#predicate, #(#metas),*));
    }
}

/// The helper attributes of a field as the internal derive sees them: the
/// `#[__goprocess(..)]` that `#[process]` wrote, once `cfg_attr` is
/// resolved.
pub(crate) fn derive_field_attrs(cx: &Ctxt, field: &str, attrs: &[Attribute]) -> FieldAttrs {
    let unwrapped: Vec<Attribute> = attrs
        .iter()
        .filter(|attr| attr.path() == HELPER)
        .filter_map(|attr| {
            let Meta::List(list) = &attr.meta else {
                return None;
            };
            Some(Attribute {
                pound_token: attr.pound_token,
                style: attr.style,
                bracket_token: attr.bracket_token,
                meta: list.parse_args().ok()?,
            })
        })
        .collect();
    FieldAttrs::from_attrs(cx, field, &unwrapped)
}

/// The arguments `#[process(..)]` passed to the internal derive as
/// `#[__goprocess(..)]` on the struct.
pub(crate) fn derive_args(cx: &Ctxt, attrs: &[Attribute]) -> ProcessArgs {
    let tokens = attrs
        .iter()
        .find(|attr| attr.path() == HELPER)
        .and_then(|attr| match &attr.meta {
            Meta::List(list) => Some(list.tokens.clone()),
            _ => None,
        })
        .unwrap_or_default();
    ProcessArgs::parse(cx, tokens)
}

/// `child(..)` → `__goprocess(child(..))`, spanned at the original.
fn wrap(meta: &Meta) -> Meta {
    let helper = Ident::new(HELPER.0, path_span(meta.path()));
    syn::parse_quote!(#helper(#meta))
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
                    match check_name(&lit.value()) {
                        Ok(()) => name.set(&meta.path, lit),
                        Err(why) => cx.error_spanned_by(&lit, why),
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

/// Why a `#[child(name = "…")]` cannot name processes, if it cannot.
fn check_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err(
            "an empty name would hide the field in errors and snapshots; \
             give a name, or remove `name` to use the field's own"
                .to_owned(),
        );
    }
    let fix = "give a name of words, digits, spaces and punctuation other than these, e.g. `\"http-frontend\"`";
    if name.contains('/') {
        return Err(format!(
            "a name cannot contain `/`, which separates the names in a snapshot path (`App/http/conn`); {fix}"
        ));
    }
    if name.contains('"') {
        return Err(format!(
            "a name cannot contain `\"`, which would end the label in the Mermaid chart of the shutdown plan; {fix}"
        ));
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Err(format!(
            "a name cannot contain the control character {c:?}, which would break the drawn process tree; {fix}"
        ));
    }
    Ok(())
}

fn parse_wait_for(cx: &Ctxt, attr: &Attribute) -> WaitForAttr {
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
    WaitForAttr {
        attr: attr.clone(),
        targets,
    }
}

/// Whether `attr` is a mistake that [`FieldAttrs::from_attrs`] reports,
/// so it must not reach the emitted struct: near-misses of the helper
/// attributes, and the macros that go elsewhere.
pub(crate) fn is_reported_mistake(attr: &Attribute) -> bool {
    is_reported_mistake_path(attr.path())
}

fn is_reported_mistake_path(path: &Path) -> bool {
    path.get_ident().is_some_and(is_near_miss)
        || path == HELPER
        || [PROCESS, TEARDOWN, RUN, INIT]
            .iter()
            .any(|word| names_macro(path, *word))
}

/// Whether `attr` is read by `#[process]` (a helper attribute, or a
/// reported mistake): left out where the struct is emitted without the
/// internal derive (next to errors).
pub(crate) fn is_field_helper(attr: &Attribute) -> bool {
    FIELD_ATTRS.iter().any(|known| attr.path() == *known)
        || is_reported_mistake(attr)
        || cfg_attr_contents(attr)
            .iter()
            .any(|inner| FIELD_ATTRS.iter().any(|known| inner.path() == *known))
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
        const MS: u64 = 1_000_000;
        for (text, nanos) in [
            ("500ms", 500 * MS),
            ("5s", 5_000 * MS),
            ("2m", 120_000 * MS),
            ("1h", 3_600_000 * MS),
            ("007s", 7_000 * MS),
            ("1.5s", 1_500 * MS),
            ("0.25s", 250 * MS),
            ("1m30s", 90_000 * MS),
            ("1m 30s", 90_000 * MS),
            ("2h 15min", 8_100_000 * MS),
            ("5 secs", 5_000 * MS),
            ("5sec", 5_000 * MS),
            ("3 seconds", 3_000 * MS),
            ("1d", 86_400_000 * MS),
            ("1w", 604_800_000 * MS),
            ("250us", 250_000),
            ("1.5us", 1_500),
            ("10ns", 10),
            ("1hour 1minute 1second 1millisecond", 3_661_001 * MS),
        ] {
            assert_eq!(parse_duration(text), Ok(nanos), "{text}");
        }
        for (bad, why) in [
            ("", "empty"),
            ("  ", "empty"),
            ("5", "unit after `5` is missing"),
            ("s", "must start with a number"),
            ("5S", "unknown unit `S`"),
            ("5sex", "unknown unit `sex`"),
            ("1.s", "not a number"),
            ("1.2.3s", "not a number"),
            (".5s", "not a number"),
            ("-1s", "must start with a number"),
            ("1m30", "unit after `30` is missing"),
            ("0s", "zero budget"),
            ("0ms", "zero budget"),
            ("0.0001ns", "whole number of nanoseconds"),
            ("99999999999999999999s", "too large"),
            ("18446744073709551615h", "too large"),
            ("600y", "too large"),
            (
                "1.000000000000000000000000000000000000000001s",
                "too many decimals",
            ),
        ] {
            let error = parse_duration(bad).expect_err(bad);
            assert!(error.contains(why), "{bad}: {error}");
        }
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("child", "child"), 0);
        assert_eq!(edit_distance("chlid", "child"), 2);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("waitfr", "waitfor"), 1);
    }
}
