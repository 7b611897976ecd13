//! The names the macros understand, in one place.

use std::fmt::{self, Display};

use syn::{Ident, Path};

/// An attribute or argument name.
#[derive(Copy, Clone)]
pub(crate) struct Symbol(pub(crate) &'static str);

/// `#[process]` on the struct.
pub(crate) const PROCESS: Symbol = Symbol("process");
/// `#[teardown]` on one method.
pub(crate) const TEARDOWN: Symbol = Symbol("teardown");
/// `#[run]` on one method.
pub(crate) const RUN: Symbol = Symbol("run");
/// `#[init]` on one method.
pub(crate) const INIT: Symbol = Symbol("init");
/// `#[child]` / `#[child(no_wait)]` / `#[child(name = "…")]` on a field.
pub(crate) const CHILD: Symbol = Symbol("child");
/// `#[wait_for]` / `#[wait_for(a, b)]` on a field.
pub(crate) const WAIT_FOR: Symbol = Symbol("wait_for");
/// The `no_wait` argument of `#[child]`.
pub(crate) const NO_WAIT: Symbol = Symbol("no_wait");
/// The `name = "…"` argument of `#[child]`.
pub(crate) const NAME: Symbol = Symbol("name");
/// The `crate = "path"` argument of the four macros.
pub(crate) const CRATE: Symbol = Symbol("crate");
/// `close_timeout = "5s"` on `#[process]`: the struct's own close budget.
pub(crate) const CLOSE_TIMEOUT: Symbol = Symbol("close_timeout");
/// `escalation = "abort" | "detach"` on `#[process]`.
pub(crate) const ESCALATION: Symbol = Symbol("escalation");
/// `on_failure = "isolate" | "propagate"` on `#[process]`.
pub(crate) const ON_FAILURE: Symbol = Symbol("on_failure");
/// `children_on_failure = "isolate" | "propagate"` on `#[process]`.
pub(crate) const CHILDREN_ON_FAILURE: Symbol = Symbol("children_on_failure");
/// `reserve = "300ms"` on `#[teardown]`: what it needs of a close budget.
pub(crate) const RESERVE: Symbol = Symbol("reserve");
/// `timeout = "2s"` on `#[teardown]`: the teardown's own budget.
pub(crate) const TIMEOUT: Symbol = Symbol("timeout");
/// `#[cfg_attr(predicate, ..)]`, which may hold helper attributes.
pub(crate) const CFG_ATTR: Symbol = Symbol("cfg_attr");
/// The one helper attribute of the internal derive: `#[process]` turns
/// `#[child(..)]` into `#[__goprocess(child(..))]` (a name no other macro
/// uses), and passes its own arguments as `#[__goprocess(..)]` on the
/// struct.
pub(crate) const HELPER: Symbol = Symbol("__goprocess");

/// The helper attributes `#[process]` consumes on fields.
pub(crate) const FIELD_ATTRS: [Symbol; 2] = [CHILD, WAIT_FOR];

impl PartialEq<Symbol> for Ident {
    fn eq(&self, word: &Symbol) -> bool {
        self == word.0
    }
}

impl PartialEq<Symbol> for &Ident {
    fn eq(&self, word: &Symbol) -> bool {
        *self == word.0
    }
}

impl PartialEq<Symbol> for Path {
    fn eq(&self, word: &Symbol) -> bool {
        self.is_ident(word.0)
    }
}

impl PartialEq<Symbol> for &Path {
    fn eq(&self, word: &Symbol) -> bool {
        self.is_ident(word.0)
    }
}

impl PartialEq for Symbol {
    fn eq(&self, other: &Symbol) -> bool {
        self.0 == other.0
    }
}

impl Display for Symbol {
    fn fmt(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str(self.0)
    }
}

/// Whether `path` names the macro `word`: `word`, `goprocess::word` or
/// `::goprocess::word` (the spellings a second copy of it would use).
pub(crate) fn names_macro(path: &Path, word: Symbol) -> bool {
    path == word
        || (path.segments.len() == 2
            && path.segments[0].ident == "goprocess"
            && path.segments[1].ident == word)
}
