//! Process names as errors and timelines hold them.
//!
//! A failed process's error, its parents' lists of failed children and a
//! timeline's rows refer to the process's name rather than copy it when
//! they are made: `parent.go(f).named("http")` must say `http` even when
//! `f` failed (on another thread) before `named` ran. The name is read
//! when it is first shown, and kept from then on.

use std::borrow::Cow;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// A process's name, shared by the process and whatever refers to it.
#[derive(Clone)]
pub(crate) struct Name(Arc<NameCell>);

struct NameCell {
    id: u64,
    text: Mutex<Option<Cow<'static, str>>>,
}

impl Name {
    pub(crate) fn new(id: u64, text: Option<Cow<'static, str>>) -> Name {
        Name(Arc::new(NameCell {
            id,
            text: Mutex::new(text),
        }))
    }

    pub(crate) fn id(&self) -> u64 {
        self.0.id
    }

    pub(crate) fn set(&self, text: Cow<'static, str>) {
        *self.lock() = Some(text);
    }

    /// The name given, if any.
    pub(crate) fn get(&self) -> Option<Cow<'static, str>> {
        self.lock().clone()
    }

    /// The name, or `#id` for an unnamed process.
    pub(crate) fn display(&self) -> Cow<'static, str> {
        self.get()
            .unwrap_or_else(|| Cow::Owned(format!("#{}", self.0.id)))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Cow<'static, str>>> {
        self.0.text.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A name as an error shows it: fixed when the error is made (errors
/// about a call, answered at once), or read from the process when first
/// shown (errors a process closed with).
#[derive(Clone)]
pub(crate) enum Shown {
    Fixed(Cow<'static, str>),
    Live(Name, OnceLock<Cow<'static, str>>),
}

impl Shown {
    pub(crate) fn live(name: Name) -> Shown {
        Shown::Live(name, OnceLock::new())
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            Shown::Fixed(text) => text,
            Shown::Live(name, shown) => shown.get_or_init(|| name.display()),
        }
    }
}

impl From<Cow<'static, str>> for Shown {
    fn from(text: Cow<'static, str>) -> Shown {
        Shown::Fixed(text)
    }
}

impl std::fmt::Debug for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}
