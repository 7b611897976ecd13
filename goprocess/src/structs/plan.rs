//! The derived shutdown and startup plans of a `#[process]` struct, and of
//! the `#[process]` structs nested in it through `Handle<T>` fields.

use std::any::TypeId;
use std::collections::HashSet;
use std::fmt::{self, Write as _};

use super::private::Spec;
use crate::introspect::escape;

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
    init: Option<&'static str>,
    run: Option<&'static str>,
    teardown: Option<&'static str>,
}

/// What `#[process]` generates: the stages and the fields of one struct.
#[doc(hidden)]
#[derive(Clone, Copy)]
pub struct Plan {
    /// The `#[child]` fields, by process name, in the stages they close in.
    pub stages: &'static [&'static [&'static str]],
    /// The same stages, reversed: the stages they start in.
    pub startup: &'static [&'static [&'static str]],
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
        init: hooks.init.alone.map(|_| hooks.init.method),
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
    /// A unique node id for `wanted`: itself (ASCII letters, digits and
    /// `_`; anything else becomes `_`), or with `_` appended while it is a
    /// Mermaid keyword or taken.
    fn id(&mut self, wanted: String) -> String {
        let mut id: String = wanted
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
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
                    let label = escape::mermaid(&format!("{label}: {}", nested.name));
                    let _ = writeln!(self.out, "{indent}subgraph {id}[\"{label}\"]");
                    let inner_last = self.id(format!("{id}_self"));
                    path.push(nested.type_id);
                    self.draw(&nested, &format!("{id}_"), &inner_last, depth + 1, path);
                    path.pop();
                    let _ = writeln!(self.out, "{indent}end");
                }
                None if field.role == Role::WaitFor => {
                    let label = escape::mermaid(&label);
                    let _ = writeln!(self.out, "{indent}{id}[/\"{label}\"/]");
                }
                None => {
                    let label = escape::mermaid(&label);
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
            let label = escape::mermaid(&format!("run {run}"));
            let _ = writeln!(self.out, "{indent}{id}[[\"{label}\"]]");
            self.edges.push(format!("    {id} --> {last}\n"));
        }
        let end = match plan.teardown {
            Some(teardown) => format!("{} teardown {teardown}", plan.name),
            None => format!("{} closed", plan.name),
        };
        let end = escape::mermaid(&end);
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

/// The order in which a `#[process]` struct starts, derived at compile
/// time from the same declarations as its shutdown, of which it is the
/// mirror: its `#[init]` first (its `#[teardown]` is last), then its
/// `#[child]` fields in the shutdown stages reversed (a field that closes
/// after another, `db` in `#[child] #[wait_for(http)] db`, is ready before
/// the other starts), then its `#[run]`; nested structs likewise, below
/// the field that holds them. Available before anything runs.
///
/// The order applies to fields built with [`Start::prepare`](super::Start::prepare):
/// the struct launches them. A field built with `start()` is already
/// running when the struct adopts it: it is not reordered, but the struct
/// is not ready until it is. Bare `#[wait_for]` fields are started
/// elsewhere, so they are not listed.
///
/// Get it from the type with [`Start::startup_plan`](super::Start::startup_plan).
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
///     #[init]
///     async fn connect(&self) {}
/// }
///
/// #[process]
/// struct Http {}
///
/// impl Http {
///     #[run]
///     async fn serve(&self, me: Process) {
///         me.closing().await;
///     }
/// }
///
/// #[process]
/// struct App {
///     #[child]
///     http: Handle<Http>,
///     #[child]
///     #[wait_for(http)]
///     db: Handle<Db>,
/// }
///
/// let plan = App::startup_plan();
/// assert_eq!(plan.stages(), &[&["db"][..], &["http"]]);
/// assert_eq!(plan.nested("db").unwrap().init(), Some("connect"));
/// assert_eq!(
///     plan.to_string(),
///     "App\n\
///      ├── 1. db (Db)\n\
///      │   └── init `connect`\n\
///      └── 2. http (Http), after db\n    \
///          └── run `serve`\n"
/// );
/// ```
#[derive(Clone, Copy)]
pub struct StartupPlan {
    plan: ShutdownPlan,
}

impl StartupPlan {
    pub(crate) fn of(plan: ShutdownPlan) -> StartupPlan {
        StartupPlan { plan }
    }

    /// The struct's name.
    pub fn name(&self) -> &'static str {
        self.plan.name
    }

    /// The stages in which the struct starts its prepared `#[child]`
    /// fields, by the names their processes get: the
    /// [shutdown stages](ShutdownPlan::stages) reversed. The fields of one
    /// stage start concurrently; a stage starts once every `#[child]` field
    /// of the stage before it is ready (a `#[child(no_wait)]` field is
    /// started in its stage, and nothing waits for it).
    pub fn stages(&self) -> &'static [&'static [&'static str]] {
        self.plan.plan.startup
    }

    /// The startup plan of the `#[process]` struct that the `#[child]`
    /// field `name` holds (`Handle<T>`, `Option<Handle<T>>` or
    /// `Vec<Handle<T>>`), by its process name; `None` for other fields.
    pub fn nested(&self, name: &str) -> Option<StartupPlan> {
        self.plan
            .by_name(name)
            .filter(|f| f.role != Role::WaitFor)
            .and_then(|f| (f.nested)())
            .map(StartupPlan::of)
    }

    /// The name of the struct's `#[init]` method, if it has one: it runs
    /// first, before any field is started.
    pub fn init(&self) -> Option<&'static str> {
        self.plan.init
    }

    /// The name of the struct's `#[run]` method, if it has one: it starts
    /// last, once its `#[init]` returned and its prepared `#[child]` fields
    /// are ready.
    pub fn run(&self) -> Option<&'static str> {
        self.plan.run
    }

    /// The shutdown plan of the same struct.
    pub fn shutdown_plan(&self) -> ShutdownPlan {
        self.plan
    }

    /// The plan as a Mermaid `flowchart`, to paste into a ```` ```mermaid ````
    /// block. An arrow `a --> b` means that `b` starts once `a` is ready;
    /// each struct's first node (its `#[init]`, if any) comes before its
    /// fields; a field that holds a `#[process]` struct is a subgraph with
    /// that struct's own plan; a `#[child(no_wait)]` field has no arrow
    /// out (nothing waits for it); the struct's `#[run]` comes last.
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
    ///     App::startup_plan().to_mermaid(),
    ///     "flowchart TD\n    \
    ///          self([\"App starts\"])\n    \
    ///          db[\"db\"]\n    \
    ///          http[\"http\"]\n    \
    ///          self --> db\n    \
    ///          db --> http\n"
    /// );
    /// ```
    pub fn to_mermaid(&self) -> String {
        let mut chart = Mermaid {
            out: String::from("flowchart TD\n"),
            edges: Vec::new(),
            ids: HashSet::new(),
        };
        chart.ids.insert("self".to_owned());
        chart.draw_start(&self.plan, "", "self", 1, &mut vec![self.plan.type_id]);
        for edge in &chart.edges {
            chart.out.push_str(edge);
        }
        chart.out
    }

    /// The names of the siblings that `field` starts after: the ones that
    /// close after it.
    fn after_names(&self, field: &PlanField) -> Vec<&'static str> {
        self.plan
            .plan
            .fields
            .iter()
            .filter(|f| f.role == Role::Child && f.after.contains(&field.field))
            .map(|f| f.name)
            .collect()
    }

    fn write_tree(
        &self,
        f: &mut fmt::Formatter<'_>,
        prefix: &str,
        path: &mut Vec<TypeId>,
    ) -> fmt::Result {
        let mut lines: Vec<(String, Option<StartupPlan>)> = Vec::new();
        if let Some(init) = self.plan.init {
            lines.push((format!("init `{init}`"), None));
        }
        for (number, stage) in self.stages().iter().enumerate() {
            for name in *stage {
                let Some(field) = self.plan.by_name(name) else {
                    continue;
                };
                let nested = (field.nested)().map(StartupPlan::of);
                let mut line = format!("{}. {name}", number + 1);
                if let Some(nested) = &nested {
                    write!(line, " ({})", nested.name())?;
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
        if let Some(run) = self.plan.run {
            lines.push((format!("run `{run}`"), None));
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
            if path.contains(&nested.plan.type_id) {
                writeln!(f, " (recursive)")?;
                continue;
            }
            writeln!(f)?;
            path.push(nested.plan.type_id);
            nested.write_tree(f, &format!("{prefix}{below}"), path)?;
            path.pop();
        }
        Ok(())
    }
}

impl Mermaid {
    /// Draws the start of `plan` at `depth`: its first node `first` (its
    /// init), one node per `#[child]` field in start order (a subgraph for
    /// nested structs), and its run.
    fn draw_start(
        &mut self,
        plan: &ShutdownPlan,
        prefix: &str,
        first: &str,
        depth: usize,
        path: &mut Vec<TypeId>,
    ) {
        let indent = "    ".repeat(depth);
        let start = match plan.init {
            Some(init) => format!("{} init {init}", plan.name),
            None => format!("{} starts", plan.name),
        };
        let start = escape::mermaid(&start);
        let _ = writeln!(self.out, "{indent}{first}([\"{start}\"])");
        // What the next stage waits for: the struct's own start, then the
        // waited fields of the last stage that had any.
        let mut before = vec![first.to_owned()];
        for stage in plan.plan.startup {
            let mut waited = Vec::new();
            for name in *stage {
                let Some(field) = plan.by_name(name) else {
                    continue;
                };
                let id = self.id(format!("{prefix}{}", field.field));
                let mut label = match field.role {
                    Role::ChildNoWait => format!("{} (not waited for)", field.name),
                    _ => field.name.to_owned(),
                };
                let nested = (field.nested)();
                if let Some(nested) = nested.filter(|nested| path.contains(&nested.type_id)) {
                    let _ = write!(label, ": {} (recursive)", nested.name);
                }
                match nested.filter(|nested| !path.contains(&nested.type_id)) {
                    Some(nested) => {
                        let label = escape::mermaid(&format!("{label}: {}", nested.name));
                        let _ = writeln!(self.out, "{indent}subgraph {id}[\"{label}\"]");
                        let inner_first = self.id(format!("{id}_self"));
                        path.push(nested.type_id);
                        self.draw_start(&nested, &format!("{id}_"), &inner_first, depth + 1, path);
                        path.pop();
                        let _ = writeln!(self.out, "{indent}end");
                    }
                    None => {
                        let label = escape::mermaid(&label);
                        let _ = writeln!(self.out, "{indent}{id}[\"{label}\"]");
                    }
                }
                for from in &before {
                    self.edges.push(format!("    {from} --> {id}\n"));
                }
                if field.role == Role::Child {
                    waited.push(id);
                }
            }
            if !waited.is_empty() {
                before = waited;
            }
        }
        if let Some(run) = plan.run {
            let id = self.id(format!("{prefix}run"));
            let label = escape::mermaid(&format!("run {run}"));
            let _ = writeln!(self.out, "{indent}{id}[[\"{label}\"]]");
            for from in &before {
                self.edges.push(format!("    {from} --> {id}\n"));
            }
        }
    }
}

impl fmt::Display for StartupPlan {
    /// The whole plan as a text tree: the struct's `#[init]`, its
    /// `#[child]` fields by start stage (`2. http (Http), after db`: the
    /// field `http` holds an `Http` and starts once `db` is ready), and its
    /// `#[run]`; nested structs below the field that holds them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.plan.name)?;
        self.write_tree(f, "", &mut vec![self.plan.type_id])
    }
}

impl fmt::Debug for StartupPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StartupPlan")
            .field("name", &self.plan.name)
            .field("stages", &self.stages())
            .field("init", &self.plan.init)
            .field("run", &self.plan.run)
            .finish_non_exhaustive()
    }
}
