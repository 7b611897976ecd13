//! The `#[process]` struct as the macro sees it. Borrows the syn tree so that
//! every error can point at the user's tokens.

use syn::ext::IdentExt;
use syn::{Fields, Ident, ItemStruct, Path, Type};

use crate::attr::{Escalation, FieldAttrs, WaitForAttr};
use crate::ctxt::Ctxt;

/// A struct with named fields under `#[process]`.
pub(crate) struct Process<'a> {
    pub(crate) item: &'a ItemStruct,
    /// The struct's name without `r#`, used as the process name.
    pub(crate) name: String,
    pub(crate) fields: Vec<Field<'a>>,
    /// `::goprocess`, or the `crate = "path"` override.
    pub(crate) krate: Path,
    /// `close_timeout = ".."`, in milliseconds.
    pub(crate) close_timeout: Option<u64>,
    /// `escalation = ".."`.
    pub(crate) escalation: Option<Escalation>,
}

/// One field with what its helper attributes asked for.
pub(crate) struct Field<'a> {
    pub(crate) ident: &'a Ident,
    /// The field name without `r#`: its name in messages, in the runtime's
    /// wiring and in `SHUTDOWN_ORDER`.
    pub(crate) name: String,
    pub(crate) ty: &'a Type,
    pub(crate) attrs: FieldAttrs<'a>,
}

/// What `#[process]` does with a field.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub(crate) enum Role {
    /// No helper attribute: untouched.
    Plain,
    /// `#[child]`: closed with the struct, which waits for it.
    Child,
    /// `#[child(no_wait)]`: closed with the struct, not waited for.
    ChildNoWait,
    /// Bare `#[wait_for]`: waited for, never closed by the struct.
    WaitFor,
}

impl<'a> Process<'a> {
    /// Builds the model of a struct with named fields; `None` for tuple and
    /// unit structs (the caller reports those).
    pub(crate) fn from_ast(cx: &Ctxt, item: &'a ItemStruct, krate: Path) -> Option<Self> {
        let Fields::Named(named) = &item.fields else {
            return None;
        };
        let fields = named
            .named
            .iter()
            .filter_map(|field| {
                let ident = field.ident.as_ref()?;
                let name = ident.unraw().to_string();
                let attrs = FieldAttrs::from_attrs(cx, &name, &field.attrs);
                Some(Field {
                    ident,
                    name,
                    ty: &field.ty,
                    attrs,
                })
            })
            .collect();
        Some(Process {
            item,
            name: item.ident.unraw().to_string(),
            fields,
            krate,
            close_timeout: None,
            escalation: None,
        })
    }

    /// The field called `name`, if any.
    pub(crate) fn field(&self, name: &str) -> Option<(usize, &Field<'a>)> {
        self.fields
            .iter()
            .enumerate()
            .find(|(_, field)| field.name == name)
    }
}

impl Field<'_> {
    /// The role; contradictory attributes are reported by `check` and
    /// resolved here in favour of `#[child]`.
    pub(crate) fn role(&self) -> Role {
        match (&self.attrs.child, &self.attrs.wait_for) {
            (Some(child), _) if child.no_wait.is_some() => Role::ChildNoWait,
            (Some(_), _) => Role::Child,
            (None, Some(WaitForAttr { targets: None, .. })) => Role::WaitFor,
            (None, _) => Role::Plain,
        }
    }

    /// The siblings named by `#[wait_for(a, b)]`, empty for other fields.
    pub(crate) fn wait_targets(&self) -> &[Ident] {
        match &self.attrs.wait_for {
            Some(WaitForAttr {
                targets: Some(targets),
                ..
            }) => targets,
            _ => &[],
        }
    }

    /// Whether this field is closed by the struct.
    pub(crate) fn is_child(&self) -> bool {
        matches!(self.role(), Role::Child | Role::ChildNoWait)
    }
}
