//! The derived shutdown plan of a `#[process]` struct, and of the
//! `#[process]` structs nested in it through `Handle<T>` fields.

use std::any::TypeId;
use std::collections::HashSet;
use std::fmt::{self, Write as _};

use super::private::Spec;

/// The order in which a started `#[process]` struct shuts down, derived at
/// compile time and available before anything runs: its `#[child]` fields
/// in stages, its `#[run]` and `#[teardown]`, and, for each field that
/// holds other `#[process]` structs (`Handle<T>`, `Option<Handle<T>>`,
/// `Vec<Handle<T>>`), their own plans, all the way down.
///
/// Get it from the type with [`Start::shutdown_plan`](super::Start::shutdown_plan).
/// `Display` draws the whole tree; [`to_mermaid`](Self::to_mermaid) draws
/// it as a Mermaid flowchart.
///
/// ```
/// use goprocess::prelude::*;
///
/// #[process]
/// struct Db {}
///
/// impl Db {
///     #[teardown]
///     fn close_pool(&self) {}
/// }
///
/// #[process]
/// struct App {
///     #[child]
///     http: Process,
///     #[child]
///     #[wait_for(http)]
///     db: Handle<Db>,
/// }
///
/// let plan = App::shutdown_plan();
/// assert_eq!(plan.stages(), &[&["http"][..], &["db"]]);
/// assert_eq!(plan.nested("db").unwrap().teardown(), Some("close_pool"));
/// assert_eq!(
///     plan.to_string(),
///     "App\n\
///      ├── 1. http\n\
///      └── 2. db (Db), after http\n    \
///          └── teardown `close_pool`\n"
/// );
/// ```
#[derive(Clone, Copy)]
pub struct ShutdownPlan {
    name: &'static str,
    type_id: TypeId,
    plan: Plan,
    run: Option<&'static str>,
    teardown: Option<&'static str>,
}

/// What `#[process]` generates: the stages and the fields of one struct.
#[doc(hidden)]
#[derive(Clone, Copy)]
pub struct Plan {
    /// The `#[child]` fields, by process name, in the stages they close in.
    pub stages: &'static [&'static [&'static str]],
    /// Every `#[child]` and `#[wait_for]` field.
    pub fields: &'static [PlanField],
}

/// One field of a [`Plan`].
#[doc(hidden)]
#[derive(Clone, Copy)]
pub struct PlanField {
    /// The field's name.
    field: &'static str,
    /// The name its processes get (`field`, or `#[child(name = "…")]`).
    name: &'static str,
    role: Role,
    /// The sibling fields it closes after (`#[wait_for(a, b)]`).
    after: &'static [&'static str],
    /// The plan of the `#[process]` struct it holds, if any.
    nested: fn() -> Option<ShutdownPlan>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Child,
    ChildNoWait,
    WaitFor,
}

impl PlanField {
    const fn new(field: &'static str, role: Role) -> PlanField {
        PlanField {
            field,
            name: field,
            role,
            after: &[],
            nested: || None,
        }
    }

    /// `#[child]`.
    pub const fn child(field: &'static str) -> PlanField {
        PlanField::new(field, Role::Child)
    }

    /// `#[child(no_wait)]`.
    pub const fn no_wait(field: &'static str) -> PlanField {
        PlanField::new(field, Role::ChildNoWait)
    }

    /// Bare `#[wait_for]`.
    pub const fn wait_for(field: &'static str) -> PlanField {
        PlanField::new(field, Role::WaitFor)
    }

    /// `#[child(name = "…")]`.
    pub const fn named(self, name: &'static str) -> PlanField {
        PlanField { name, ..self }
    }

    /// `#[wait_for(a, b)]` on a `#[child]`: the sibling fields.
    pub const fn after(self, after: &'static [&'static str]) -> PlanField {
        PlanField { after, ..self }
    }

    /// The plan of the struct the field holds, if it holds one:
    /// `|| Nested::<FieldType>::NEW.plan()`.
    pub const fn nested(self, nested: fn() -> Option<ShutdownPlan>) -> PlanField {
        PlanField { nested, ..self }
    }
}

/// Whether a sibling of `field` is ordered after it (`#[wait_for(field)]`).
pub(crate) fn is_target(fields: &[PlanField], field: &str) -> bool {
    fields.iter().any(|f| f.after.contains(&field))
}

/// The plan of `T`, for [`PlanField::nested`].
#[doc(hidden)]
pub fn plan_of<T: Spec>() -> ShutdownPlan {
    let hooks = T::hooks();
    ShutdownPlan {
        name: T::NAME,
        type_id: TypeId::of::<T>(),
        plan: T::PLAN,
        run: hooks.run.hook.map(|_| hooks.run.method),
        teardown: hooks.teardown.hook.map(|_| hooks.teardown.method),
    }
}

impl ShutdownPlan {
    /// The struct's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The stages in which the struct closes its `#[child]` fields, by the
    /// names their processes get: stage 1 holds the fields that wait for no
    /// sibling, stage `k` the fields whose `#[wait_for(..)]` siblings all
    /// sit in earlier stages. Fields of one stage close concurrently; each
    /// starts closing once the siblings it waits for have closed. Bare
    /// `#[wait_for]` fields are never closed by the struct, so they are not
    /// listed.
    pub fn stages(&self) -> &'static [&'static [&'static str]] {
        self.plan.stages
    }

    /// The plan of the `#[process]` struct that the `#[child]` or
    /// `#[wait_for]` field `name` holds (`Handle<T>`, `Option<Handle<T>>`
    /// or `Vec<Handle<T>>`), by its process name; `None` for other fields.
    pub fn nested(&self, name: &str) -> Option<ShutdownPlan> {
        self.plan
            .fields
            .iter()
            .find(|f| f.name == name)
            .and_then(|f| (f.nested)())
    }

    /// The name of the struct's `#[run]` method, if it has one. It runs
    /// while the struct is open; once the struct is closing, the struct
    /// waits for it to return (concurrently with its `#[child]` fields).
    pub fn run(&self) -> Option<&'static str> {
        self.run
    }

    /// The name of the struct's `#[teardown]` method, if it has one: it
    /// runs last, once the `#[run]` and every field have closed.
    pub fn teardown(&self) -> Option<&'static str> {
        self.teardown
    }

    /// The plan as a Mermaid `flowchart`, to paste into a ```` ```mermaid ````
    /// block. An arrow `a --> b` means that `b` closes after `a`; each
    /// struct's last node (its teardown) comes after everything it waits
    /// for; a field that holds a `#[process]` struct is a subgraph with
    /// that struct's own plan; `#[child(no_wait)]` fields have no arrow
    /// (nothing waits for them); bare `#[wait_for]` fields point at the
    /// struct's last node with a dotted arrow (waited for, never closed).
    ///
    /// ```
    /// use goprocess::prelude::*;
    ///
    /// #[process]
    /// struct App {
    ///     #[child]
    ///     http: Process,
    ///     #[child]
    ///     #[wait_for(http)]
    ///     db: Process,
    /// }
    ///
    /// assert_eq!(
    ///     App::shutdown_plan().to_mermaid(),
    ///     "flowchart TD\n    \
    ///          http[\"http\"]\n    \
    ///          db[\"db\"]\n    \
    ///          self([\"App closed\"])\n    \
    ///          http --> db\n    \
    ///          db --> self\n"
    /// );
    /// ```
    pub fn to_mermaid(&self) -> String {
        let mut chart = Mermaid {
            out: String::from("flowchart TD\n"),
            edges: Vec::new(),
            ids: HashSet::new(),
        };
        chart.ids.insert("self".to_owned());
        chart.draw(self, "", "self", 1, &mut vec![self.type_id]);
        for edge in &chart.edges {
            chart.out.push_str(edge);
        }
        chart.out
    }

    fn field(&self, field: &str) -> Option<&PlanField> {
        self.plan.fields.iter().find(|f| f.field == field)
    }

    fn by_name(&self, name: &str) -> Option<&PlanField> {
        self.plan.fields.iter().find(|f| f.name == name)
    }

    /// The names of the siblings `field` closes after.
    fn after_names(&self, field: &PlanField) -> Vec<&'static str> {
        field
            .after
            .iter()
            .map(|f| self.field(f).map_or(*f, |f| f.name))
            .collect()
    }

    fn write_tree(
        &self,
        f: &mut fmt::Formatter<'_>,
        prefix: &str,
        path: &mut Vec<TypeId>,
    ) -> fmt::Result {
        let mut lines: Vec<(String, Option<ShutdownPlan>)> = Vec::new();
        if let Some(run) = self.run {
            lines.push((format!("run `{run}`"), None));
        }
        for (number, stage) in self.plan.stages.iter().enumerate() {
            for name in *stage {
                let Some(field) = self.by_name(name) else {
                    continue;
                };
                let nested = (field.nested)();
                let mut line = format!("{}. {name}", number + 1);
                if let Some(nested) = &nested {
                    write!(line, " ({})", nested.name)?;
                }
                if field.role == Role::ChildNoWait {
                    line.push_str(" (not waited for)");
                }
                let after = self.after_names(field);
                if !after.is_empty() {
                    write!(line, ", after {}", after.join(", "))?;
                }
                lines.push((line, nested));
            }
        }
        for field in self.plan.fields.iter().filter(|f| f.role == Role::WaitFor) {
            let nested = (field.nested)();
            let mut line = format!("waits for {}", field.name);
            if let Some(nested) = &nested {
                write!(line, " ({})", nested.name)?;
            }
            lines.push((line, nested));
        }
        if let Some(teardown) = self.teardown {
            lines.push((format!("teardown `{teardown}`"), None));
        }
        let count = lines.len();
        for (i, (line, nested)) in lines.into_iter().enumerate() {
            let last = i + 1 == count;
            let (branch, below) = if last {
                ("└── ", "    ")
            } else {
                ("├── ", "│   ")
            };
            write!(f, "{prefix}{branch}{line}")?;
            let Some(nested) = nested else {
                writeln!(f)?;
                continue;
            };
            if path.contains(&nested.type_id) {
                writeln!(f, " (recursive)")?;
                continue;
            }
            writeln!(f)?;
            path.push(nested.type_id);
            nested.write_tree(f, &format!("{prefix}{below}"), path)?;
            path.pop();
        }
        Ok(())
    }
}

/// Mermaid node ids that Mermaid would read as keywords.
const MERMAID_KEYWORDS: [&str; 12] = [
    "end",
    "graph",
    "flowchart",
    "subgraph",
    "direction",
    "style",
    "class",
    "classDef",
    "click",
    "linkStyle",
    "default",
    "call",
];

struct Mermaid {
    out: String,
    edges: Vec<String>,
    ids: HashSet<String>,
}

impl Mermaid {
    /// A unique node id for `wanted`: itself, or with `_` appended while
    /// it is a Mermaid keyword or taken.
    fn id(&mut self, wanted: String) -> String {
        let mut id = wanted;
        while MERMAID_KEYWORDS.contains(&id.as_str()) || self.ids.contains(&id) {
            id.push('_');
        }
        self.ids.insert(id.clone());
        id
    }

    /// Draws the inside of `plan` at `depth`: one node per field (a
    /// subgraph for nested structs), its run, and its last node `last`.
    fn draw(
        &mut self,
        plan: &ShutdownPlan,
        prefix: &str,
        last: &str,
        depth: usize,
        path: &mut Vec<TypeId>,
    ) {
        let indent = "    ".repeat(depth);
        let mut ids = Vec::new();
        for field in plan.plan.fields {
            let id = self.id(format!("{prefix}{}", field.field));
            ids.push((field, id));
        }
        let id_of = |field: &str| {
            ids.iter()
                .find(|(f, _)| f.field == field)
                .map(|(_, id)| id.clone())
        };
        let mut waited_by_sibling = HashSet::new();
        for (field, _) in &ids {
            waited_by_sibling.extend(field.after.iter().copied());
        }
        // Children in stage order, then bare `#[wait_for]` fields.
        let mut order: Vec<&(&PlanField, String)> = Vec::new();
        for stage in plan.plan.stages {
            for name in *stage {
                order.extend(ids.iter().filter(|(f, _)| f.name == *name));
            }
        }
        order.extend(ids.iter().filter(|(f, _)| f.role == Role::WaitFor));
        for (field, id) in order {
            let label = match field.role {
                Role::Child => field.name.to_owned(),
                Role::ChildNoWait => format!("{} (not waited for)", field.name),
                Role::WaitFor => format!("{} (waited for, not closed)", field.name),
            };
            let mut label = label;
            let nested = (field.nested)();
            if let Some(nested) = nested.filter(|nested| path.contains(&nested.type_id)) {
                let _ = write!(label, ": {} (recursive)", nested.name);
            }
            match nested.filter(|nested| !path.contains(&nested.type_id)) {
                Some(nested) => {
                    let _ = writeln!(
                        self.out,
                        "{indent}subgraph {id}[\"{label}: {}\"]",
                        nested.name
                    );
                    let inner_last = self.id(format!("{id}_self"));
                    path.push(nested.type_id);
                    self.draw(&nested, &format!("{id}_"), &inner_last, depth + 1, path);
                    path.pop();
                    let _ = writeln!(self.out, "{indent}end");
                }
                None if field.role == Role::WaitFor => {
                    let _ = writeln!(self.out, "{indent}{id}[/\"{label}\"/]");
                }
                None => {
                    let _ = writeln!(self.out, "{indent}{id}[\"{label}\"]");
                }
            }
            match field.role {
                Role::ChildNoWait => {}
                Role::WaitFor => self.edges.push(format!("    {id} -.-> {last}\n")),
                Role::Child => {
                    for target in field.after {
                        if let Some(target) = id_of(target) {
                            self.edges.push(format!("    {target} --> {id}\n"));
                        }
                    }
                    if !waited_by_sibling.contains(field.field) {
                        self.edges.push(format!("    {id} --> {last}\n"));
                    }
                }
            }
        }
        if let Some(run) = plan.run {
            let id = self.id(format!("{prefix}run"));
            let _ = writeln!(self.out, "{indent}{id}[[\"run {run}\"]]");
            self.edges.push(format!("    {id} --> {last}\n"));
        }
        let end = match plan.teardown {
            Some(teardown) => format!("{} teardown {teardown}", plan.name),
            None => format!("{} closed", plan.name),
        };
        let _ = writeln!(self.out, "{indent}{last}([\"{end}\"])");
    }
}

impl fmt::Display for ShutdownPlan {
    /// The whole plan as a text tree: the struct's `#[run]`, its
    /// `#[child]` fields by stage (`2. db (Db), after http`: the field
    /// `db` holds a `Db` and closes after `http`), the bare `#[wait_for]`
    /// fields it waits for, and its `#[teardown]`; nested structs below
    /// the field that holds them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.name)?;
        self.write_tree(f, "", &mut vec![self.type_id])
    }
}

impl fmt::Debug for ShutdownPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShutdownPlan")
            .field("name", &self.name)
            .field("stages", &self.plan.stages)
            .field("run", &self.run)
            .field("teardown", &self.teardown)
            .finish_non_exhaustive()
    }
}
