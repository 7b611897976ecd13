//! The `#[process]` struct as the macro sees it. Borrows the syn tree so that
//! every error can point at the user's tokens.

use syn::ext::IdentExt;
use syn::{Fields, GenericArgument, Ident, ItemStruct, Path, PathArguments, Type};

use crate::attr::{FieldAttrs, ProcessArgs, WaitForAttr};
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
    pub(crate) fn from_ast(cx: &Ctxt, item: &'a ItemStruct, args: ProcessArgs) -> Option<Self> {
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

    /// The name the field's processes get: `#[child(name = "…")]`, or the
    /// field's own name.
    pub(crate) fn process_name(&self) -> String {
        match self
            .attrs
            .child
            .as_ref()
            .and_then(|child| child.name.as_ref())
        {
            Some(name) => name.value(),
            None => self.name.clone(),
        }
    }

    /// `T` when the field is `Handle<T>`, `Option<Handle<T>>` or
    /// `Vec<Handle<T>>` (spelt `Handle`, `goprocess::Handle` or
    /// `<crate>::Handle`): the `#[process]` struct whose plan is nested in
    /// this one. Read from the tokens, so a type alias hides it.
    pub(crate) fn nested(&self, krate: &Path) -> Option<&Type> {
        let mut ty = self.ty;
        if let Some(inner) = single_argument(ty, |path| {
            is_bare(path, "Option") || is_bare(path, "Vec") || ends_with_std(path)
        }) {
            ty = inner;
        }
        single_argument(ty, |path| is_handle(path, krate))
    }
}

/// The one type argument of `ty` when `ty` is a path accepted by `which`.
fn single_argument(ty: &Type, which: impl Fn(&Path) -> bool) -> Option<&Type> {
    let Type::Path(path) = ty else {
        return None;
    };
    if path.qself.is_some() || !which(&path.path) {
        return None;
    }
    let PathArguments::AngleBracketed(arguments) = &path.path.segments.last()?.arguments else {
        return None;
    };
    let mut types = arguments.args.iter().filter_map(|argument| match argument {
        GenericArgument::Type(ty) => Some(ty),
        _ => None,
    });
    match (types.next(), types.next()) {
        (Some(ty), None) => Some(ty),
        _ => None,
    }
}

/// `word`, with generic arguments or not.
fn is_bare(path: &Path, word: &str) -> bool {
    path.leading_colon.is_none() && path.segments.len() == 1 && path.segments[0].ident == word
}

/// `std::option::Option`, `std::vec::Vec` and their `core`/`alloc` twins.
fn ends_with_std(path: &Path) -> bool {
    let words: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    matches!(
        words
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice(),
        ["std" | "core", "option", "Option"] | ["std" | "alloc", "vec", "Vec"]
    )
}

fn is_handle(path: &Path, krate: &Path) -> bool {
    let segments: Vec<&Ident> = path.segments.iter().map(|s| &s.ident).collect();
    let krate: Vec<&Ident> = krate.segments.iter().map(|s| &s.ident).collect();
    match segments.split_last() {
        Some((last, rest)) if *last == "Handle" => {
            rest.is_empty()
                || rest == krate.as_slice()
                || (rest.len() == 1 && *rest[0] == "goprocess")
        }
        _ => false,
    }
}
