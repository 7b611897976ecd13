//! Error collection: every check records its errors here so that one run of
//! a macro reports all of them together.

use std::cell::RefCell;
use std::fmt::Display;

use proc_macro2::TokenStream;
use quote::ToTokens;

/// Collects the errors of one macro invocation.
///
/// Must be consumed with [`Ctxt::check`]: dropping it with errors still
/// inside is a bug in the macro, caught in debug builds.
pub(crate) struct Ctxt {
    errors: RefCell<Option<Vec<syn::Error>>>,
}

impl Ctxt {
    pub(crate) fn new() -> Self {
        Ctxt {
            errors: RefCell::new(Some(Vec::new())),
        }
    }

    /// Records an error spanned at `tokens` (the user's tokens).
    pub(crate) fn error_spanned_by<T: ToTokens>(&self, tokens: T, message: impl Display) {
        self.syn_error(syn::Error::new_spanned(tokens.into_token_stream(), message));
    }

    /// Records an error spanned at `span`.
    pub(crate) fn error_at(&self, span: proc_macro2::Span, message: impl Display) {
        self.syn_error(syn::Error::new(span, message));
    }

    /// Records an error produced by syn's parser.
    pub(crate) fn syn_error(&self, error: syn::Error) {
        if let Some(errors) = self.errors.borrow_mut().as_mut() {
            errors.push(error);
        }
    }

    /// Whether an error has been recorded so far.
    pub(crate) fn has_errors(&self) -> bool {
        self.errors
            .borrow()
            .as_ref()
            .is_some_and(|errors| !errors.is_empty())
    }

    /// Consumes the context: `Ok` if nothing went wrong, otherwise every
    /// recorded error as `compile_error!` invocations.
    pub(crate) fn check(self) -> Result<(), TokenStream> {
        let errors = self.errors.borrow_mut().take().unwrap_or_default();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors
                .into_iter()
                .map(syn::Error::into_compile_error)
                .collect())
        }
    }
}

impl Drop for Ctxt {
    fn drop(&mut self) {
        let unchecked = self
            .errors
            .borrow()
            .as_ref()
            .is_some_and(|errors| !errors.is_empty());
        debug_assert!(
            !unchecked || std::thread::panicking(),
            "goprocess-macros: Ctxt dropped without check()"
        );
    }
}
