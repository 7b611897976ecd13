//! The `#[process]` struct as the macro sees it. Borrows the syn tree so that
//! every error can point at the user's tokens.

use syn::ext::IdentExt;
use syn::{Fields, Ident, ItemStruct, LitStr, Path, Type};

use crate::attr::{FieldAttrs, ProcessArgs, WaitForAttr, derive_field_attrs};
use crate::ctxt::Ctxt;

/// A struct with named fields under `#[process]`.
pub(crate) struct Process<'a> {
    pub(crate) item: &'a ItemStruct,
    /// The struct's name without `r#`, used as the process name.
    pub(crate) name: String,
    pub(crate) fields: Vec<Field<'a>>,
    /// `::goprocess`, or the `crate = "path"` override.
    pub(crate) krate: Path,
    pub(crate) args: ProcessArgs,
}

/// One field with what its helper attributes asked for.
pub(crate) struct Field<'a> {
    pub(crate) ident: &'a Ident,
    /// The field name without `r#`: its name in messages, in the runtime's
    /// wiring and in `#[wait_for(..)]` lists.
    pub(crate) name: String,
    pub(crate) ty: &'a Type,
    pub(crate) attrs: FieldAttrs,
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

/// Where the helper attributes of the fields are read from.
#[derive(Copy, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// As the user wrote them, for `#[process]`.
    User,
    /// As `#[process]` passed them on, for the internal derive.
    Derive,
}

impl<'a> Process<'a> {
    /// Builds the model of a struct with named fields, or of a unit struct
    /// (a process without fields); `None` for tuple structs (the caller
    /// reports those).
    pub(crate) fn from_ast(
        cx: &Ctxt,
        item: &'a ItemStruct,
        args: ProcessArgs,
        source: Source,
    ) -> Option<Self> {
        let named = match &item.fields {
            Fields::Named(named) => Some(named),
            Fields::Unit => None,
            Fields::Unnamed(_) => return None,
        };
        let fields = named
            .into_iter()
            .flat_map(|named| named.named.iter())
            .filter_map(|field| {
                let ident = field.ident.as_ref()?;
                let name = ident.unraw().to_string();
                let attrs = match source {
                    Source::User => FieldAttrs::from_attrs(cx, &name, &field.attrs),
                    Source::Derive => derive_field_attrs(cx, &name, &field.attrs),
                };
                Some(Field {
                    ident,
                    name,
                    ty: &field.ty,
                    attrs,
                })
            })
            .collect();
        let krate = args
            .krate
            .clone()
            .unwrap_or_else(crate::expand::default_crate);
        Some(Process {
            item,
            name: item.ident.unraw().to_string(),
            fields,
            krate,
            args,
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

    /// `#[child(name = "…")]`, if given.
    pub(crate) fn rename(&self) -> Option<&LitStr> {
        self.attrs.child.as_ref()?.name.as_ref()
    }

    /// The name the field's processes get: `#[child(name = "…")]`, or the
    /// field's own name.
    pub(crate) fn process_name(&self) -> String {
        self.rename()
            .map_or_else(|| self.name.clone(), LitStr::value)
    }
}
