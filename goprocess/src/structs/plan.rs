//! The derived shutdown and startup plans of a `#[process]` struct, and of
//! the `#[process]` structs nested in it through `Handle<T>` fields.

use std::any::TypeId;
use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt::{self, Write as _};
use std::ops::Deref;

use super::private::Spec;
use crate::Process;
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
        self.mermaid(None)
    }

    fn mermaid(&self, live: Option<&Live>) -> String {
        let mut chart = Mermaid {
            out: String::from("flowchart TD\n"),
            edges: Vec::new(),
            ids: HashSet::new(),
        };
        chart.ids.insert("self".to_owned());
        chart.draw(self, "", "self", 1, &mut vec![self.type_id], live);
        for edge in &chart.edges {
            chart.out.push_str(edge);
        }
        chart.out
    }

    /// The stages reversed: the order the struct starts its fields in.
    fn start_stages(&self) -> &'static [&'static [&'static str]] {
        self.plan.startup
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
        live: Option<&Live>,
    ) -> fmt::Result {
        let mut lines: Vec<(String, Below<ShutdownPlan>)> = Vec::new();
        if let Some(run) = self.run {
            lines.push((format!("run `{run}`"), Below::Nothing));
        }
        for (number, stage) in self.plan.stages.iter().enumerate() {
            for name in *stage {
                let Some(field) = self.by_name(name) else {
                    continue;
                };
                let mut line = format!("{}. {name}", number + 1);
                let below = Below::of(field, live, Order::Shutdown);
                below.describe(&mut line);
                if field.role == Role::ChildNoWait {
                    line.push_str(" (not waited for)");
                }
                let after = self.after_names(field);
                if !after.is_empty() {
                    write!(line, ", after {}", after.join(", "))?;
                }
                lines.push((line, below));
            }
        }
        for field in self.plan.fields.iter().filter(|f| f.role == Role::WaitFor) {
            let mut line = format!("waits for {}", field.name);
            let below = match (field.nested)() {
                Some(nested) => Below::Nested(nested, None),
                None => Below::Nothing,
            };
            below.describe(&mut line);
            lines.push((line, below));
        }
        if let Some(teardown) = self.teardown {
            lines.push((format!("teardown `{teardown}`"), Below::Nothing));
        }
        draw_lines(f, prefix, lines, path)
    }
}

/// What a plan's text tree draws below one of its lines.
enum Below<P> {
    Nothing,
    /// The plan of the `#[process]` struct the field holds, and its
    /// running process when the plan is read live.
    Nested(P, Option<Live>),
    /// A supervisor's children, read live, in the plan's order.
    Supervised(Vec<String>),
}

/// Which order a plan lists a supervisor's children in.
#[derive(Clone, Copy)]
enum Order {
    /// The last added first: the order it closes them in.
    Shutdown,
    /// The order of addition: the order it starts them in.
    Startup,
}

impl<P: From<ShutdownPlan>> Below<P> {
    /// For the field `field` of a plan read with `live` (or not).
    fn of(field: &PlanField, live: Option<&Live>, order: Order) -> Below<P> {
        match (field.nested)() {
            Some(nested) => Below::Nested(
                P::from(nested),
                live.and_then(|l| l.child(field.name)).map(Live::of),
            ),
            None => match live.and_then(|l| l.supervised(field.name, order)) {
                Some(children) => Below::Supervised(children),
                None => Below::Nothing,
            },
        }
    }
}

impl<P: TreePlan> Below<P> {
    /// What the field's line says of what it holds.
    fn describe(&self, line: &mut String) {
        match self {
            Below::Nested(nested, _) => {
                let _ = write!(line, " ({})", nested.struct_name());
            }
            Below::Supervised(_) => line.push_str(" (supervisor)"),
            Below::Nothing => {}
        }
    }
}

/// A plan that draws as a text tree.
trait TreePlan {
    fn struct_name(&self) -> &'static str;
    fn type_id(&self) -> TypeId;
    fn write_tree(
        &self,
        f: &mut fmt::Formatter<'_>,
        prefix: &str,
        path: &mut Vec<TypeId>,
        live: Option<&Live>,
    ) -> fmt::Result;
}

impl TreePlan for ShutdownPlan {
    fn struct_name(&self) -> &'static str {
        self.name
    }
    fn type_id(&self) -> TypeId {
        self.type_id
    }
    fn write_tree(
        &self,
        f: &mut fmt::Formatter<'_>,
        prefix: &str,
        path: &mut Vec<TypeId>,
        live: Option<&Live>,
    ) -> fmt::Result {
        ShutdownPlan::write_tree(self, f, prefix, path, live)
    }
}

/// Draws `lines` as the branches of a tree, each with what it holds below
/// it; a struct already on `path` is marked `(recursive)` instead.
fn draw_lines<P: TreePlan>(
    f: &mut fmt::Formatter<'_>,
    prefix: &str,
    lines: Vec<(String, Below<P>)>,
    path: &mut Vec<TypeId>,
) -> fmt::Result {
    let count = lines.len();
    for (i, (line, below)) in lines.into_iter().enumerate() {
        let last = i + 1 == count;
        let (branch, under) = if last {
            ("└── ", "    ")
        } else {
            ("├── ", "│   ")
        };
        write!(f, "{prefix}{branch}{line}")?;
        match below {
            Below::Nothing => writeln!(f)?,
            Below::Nested(nested, _) if path.contains(&nested.type_id()) => {
                writeln!(f, " (recursive)")?;
            }
            Below::Nested(nested, live) => {
                writeln!(f)?;
                path.push(nested.type_id());
                nested.write_tree(f, &format!("{prefix}{under}"), path, live.as_ref())?;
                path.pop();
            }
            Below::Supervised(children) => {
                writeln!(f)?;
                let count = children.len();
                for (i, child) in children.iter().enumerate() {
                    let branch = if i + 1 == count {
                        "└── "
                    } else {
                        "├── "
                    };
                    writeln!(
                        f,
                        "{prefix}{under}{branch}{}. {}",
                        i + 1,
                        escape::Text(child)
                    )?;
                }
            }
        }
    }
    Ok(())
}

/// The running `#[process]` struct a plan is read with: the processes it
/// closes, by name, to find a field's nested struct or supervisor.
pub(crate) struct Live {
    children: Vec<(Cow<'static, str>, Process)>,
}

impl Live {
    pub(crate) fn of(process: &Process) -> Live {
        Live {
            children: process
                .child_targets()
                .into_iter()
                .map(|p| (p.display_name(), p))
                .collect(),
        }
    }

    /// The process of the field whose processes are named `name` (one
    /// that holds a single process).
    fn child(&self, name: &str) -> Option<&Process> {
        self.children
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, p)| p)
    }

    /// The names of the children of the supervisor the field `name` holds,
    /// if it holds one, in `order`.
    fn supervised(&self, name: &str, order: Order) -> Option<Vec<String>> {
        let children = self.child(name)?.supervised_children()?;
        let names = children.iter().map(|c| c.name().to_owned());
        Some(match order {
            Order::Shutdown => names.rev().collect(),
            Order::Startup => names.collect(),
        })
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
        live: Option<&Live>,
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
            let supervised = match (&nested, field.role) {
                (None, Role::Child | Role::ChildNoWait) => {
                    live.and_then(|l| l.supervised(field.name, Order::Shutdown))
                }
                _ => None,
            };
            match nested.filter(|nested| !path.contains(&nested.type_id)) {
                Some(nested) => {
                    let label = escape::mermaid(&format!("{label}: {}", nested.name));
                    let _ = writeln!(self.out, "{indent}subgraph {id}[\"{label}\"]");
                    let inner_last = self.id(format!("{id}_self"));
                    let inner_live = live.and_then(|l| l.child(field.name)).map(Live::of);
                    path.push(nested.type_id);
                    self.draw(
                        &nested,
                        &format!("{id}_"),
                        &inner_last,
                        depth + 1,
                        path,
                        inner_live.as_ref(),
                    );
                    path.pop();
                    let _ = writeln!(self.out, "{indent}end");
                }
                None if supervised.is_some() => {
                    let children = supervised.unwrap_or_default();
                    self.supervisor(id, &label, &children, depth);
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

    /// A supervisor field `id`, read live: a subgraph of its children in
    /// the order given, one after the other.
    fn supervisor(&mut self, id: &str, label: &str, children: &[String], depth: usize) {
        let indent = "    ".repeat(depth);
        let label = escape::mermaid(&format!("{label}: supervisor"));
        let _ = writeln!(self.out, "{indent}subgraph {id}[\"{label}\"]");
        let mut before: Option<String> = None;
        for child in children {
            let child_id = self.id(format!("{id}_{child}"));
            let name = escape::mermaid(child);
            let _ = writeln!(self.out, "{indent}    {child_id}[\"{name}\"]");
            if let Some(before) = before.replace(child_id.clone()) {
                self.edges.push(format!("    {before} --> {child_id}\n"));
            }
        }
        let _ = writeln!(self.out, "{indent}end");
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
        self.write_tree(f, "", &mut vec![self.type_id], None)
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
        self.plan.start_stages()
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
        self.mermaid(None)
    }

    fn mermaid(&self, live: Option<&Live>) -> String {
        let mut chart = Mermaid {
            out: String::from("flowchart TD\n"),
            edges: Vec::new(),
            ids: HashSet::new(),
        };
        chart.ids.insert("self".to_owned());
        chart.draw_start(
            &self.plan,
            "",
            "self",
            1,
            &mut vec![self.plan.type_id],
            live,
        );
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
        live: Option<&Live>,
    ) -> fmt::Result {
        let mut lines: Vec<(String, Below<StartupPlan>)> = Vec::new();
        if let Some(init) = self.plan.init {
            lines.push((format!("init `{init}`"), Below::Nothing));
        }
        for (number, stage) in self.stages().iter().enumerate() {
            for name in *stage {
                let Some(field) = self.plan.by_name(name) else {
                    continue;
                };
                let mut line = format!("{}. {name}", number + 1);
                let below = Below::of(field, live, Order::Startup);
                below.describe(&mut line);
                if field.role == Role::ChildNoWait {
                    line.push_str(" (not waited for)");
                }
                let after = self.after_names(field);
                if !after.is_empty() {
                    write!(line, ", after {}", after.join(", "))?;
                }
                lines.push((line, below));
            }
        }
        if let Some(run) = self.plan.run {
            lines.push((format!("run `{run}`"), Below::Nothing));
        }
        draw_lines(f, prefix, lines, path)
    }
}

impl From<ShutdownPlan> for StartupPlan {
    /// The startup plan of the struct whose shutdown plan this is.
    fn from(plan: ShutdownPlan) -> StartupPlan {
        StartupPlan::of(plan)
    }
}

impl TreePlan for StartupPlan {
    fn struct_name(&self) -> &'static str {
        self.plan.name
    }
    fn type_id(&self) -> TypeId {
        self.plan.type_id
    }
    fn write_tree(
        &self,
        f: &mut fmt::Formatter<'_>,
        prefix: &str,
        path: &mut Vec<TypeId>,
        live: Option<&Live>,
    ) -> fmt::Result {
        StartupPlan::write_tree(self, f, prefix, path, live)
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
        live: Option<&Live>,
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
                let supervised = match &nested {
                    None => live.and_then(|l| l.supervised(field.name, Order::Startup)),
                    Some(_) => None,
                };
                match nested.filter(|nested| !path.contains(&nested.type_id)) {
                    Some(nested) => {
                        let label = escape::mermaid(&format!("{label}: {}", nested.name));
                        let _ = writeln!(self.out, "{indent}subgraph {id}[\"{label}\"]");
                        let inner_first = self.id(format!("{id}_self"));
                        let inner_live = live.and_then(|l| l.child(field.name)).map(Live::of);
                        path.push(nested.type_id);
                        self.draw_start(
                            &nested,
                            &format!("{id}_"),
                            &inner_first,
                            depth + 1,
                            path,
                            inner_live.as_ref(),
                        );
                        path.pop();
                        let _ = writeln!(self.out, "{indent}end");
                    }
                    None if supervised.is_some() => {
                        let children = supervised.unwrap_or_default();
                        self.supervisor(&id, &label, &children, depth);
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
        self.write_tree(f, "", &mut vec![self.plan.type_id], None)
    }
}

/// A plan read with a running struct ([`Handle::shutdown_plan`](super::Handle::shutdown_plan),
/// [`Handle::startup_plan`](super::Handle::startup_plan)): the derived plan
/// (it derefs to it), drawn with what only exists at run time, the
/// children of a [`Supervisor`](crate::supervise::Supervisor) field as
/// they are now, in the order the supervisor closes them (the last added
/// first) or starts them (one at a time, in their order).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use goprocess::prelude::*;
/// use goprocess::supervise::{Restart, Strategy, Supervisor};
///
/// #[process]
/// struct Service {
///     #[child]
///     intake: Process,
///     #[child]
///     #[wait_for(intake)]
///     pool: Supervisor,
/// }
///
/// let pool = Supervisor::root(Strategy::OneForOne);
/// for name in ["worker 1", "worker 2"] {
///     pool.child(name, Restart::Permanent, |me| async move { me.closing().await })
///         .unwrap();
/// }
/// let service = Service { intake: Process::new(), pool }.start();
/// assert_eq!(
///     Handle::shutdown_plan(&service).to_string(),
///     "Service\n\
///      ├── 1. intake\n\
///      └── 2. pool (supervisor), after intake\n    \
///          ├── 1. worker 2\n    \
///          └── 2. worker 1\n"
/// );
/// Handle::close(&service).await.unwrap();
/// # }
/// ```
#[derive(Clone)]
pub struct LivePlan<P> {
    plan: P,
    live: Process,
}

impl<P> LivePlan<P> {
    pub(crate) fn new(plan: P, live: Process) -> LivePlan<P> {
        LivePlan { plan, live }
    }

    /// The derived plan, without what the running struct adds.
    pub fn plan(&self) -> &P {
        &self.plan
    }
}

impl<P> Deref for LivePlan<P> {
    type Target = P;
    fn deref(&self) -> &P {
        &self.plan
    }
}

impl LivePlan<ShutdownPlan> {
    /// [`ShutdownPlan::to_mermaid`], with each supervisor field drawn as a
    /// subgraph of its children, in the order it closes them.
    pub fn to_mermaid(&self) -> String {
        self.plan.mermaid(Some(&Live::of(&self.live)))
    }
}

impl LivePlan<StartupPlan> {
    /// [`StartupPlan::to_mermaid`], with each supervisor field drawn as a
    /// subgraph of its children, in the order it starts them.
    pub fn to_mermaid(&self) -> String {
        self.plan.mermaid(Some(&Live::of(&self.live)))
    }
}

impl fmt::Display for LivePlan<ShutdownPlan> {
    /// As [`ShutdownPlan`]'s, with each supervisor field's children below
    /// it (`2. pool (supervisor)`), numbered in the order it closes them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.plan.name)?;
        let live = Live::of(&self.live);
        self.plan
            .write_tree(f, "", &mut vec![self.plan.type_id], Some(&live))
    }
}

impl fmt::Display for LivePlan<StartupPlan> {
    /// As [`StartupPlan`]'s, with each supervisor field's children below
    /// it, numbered in the order it starts them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.plan.plan.name)?;
        let live = Live::of(&self.live);
        self.plan
            .write_tree(f, "", &mut vec![self.plan.plan.type_id], Some(&live))
    }
}

impl<P: fmt::Debug> fmt::Debug for LivePlan<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LivePlan")
            .field("plan", &self.plan)
            .field("process", &self.live)
            .finish()
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
