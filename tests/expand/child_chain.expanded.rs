use goprocess::{process, Handle, Process};
pub struct App {
    http: Handle<Http>,
    db: Handle<Db>,
    cache: Process,
    config: Config,
}
#[automatically_derived]
impl ::goprocess::__private::Spec for App {
    const NAME: &'static str = "App";
    fn wire(&self, wiring: &mut ::goprocess::__private::Wiring<'_>) {
        ::goprocess::__private::assert_field::<Handle<Http>>();
        wiring.child("http", &self.http);
        ::goprocess::__private::assert_field::<Handle<Db>>();
        wiring.child_after("db", &self.db, &[&self.http]);
        ::goprocess::__private::assert_field::<Process>();
        wiring.child_after("cache", &self.cache, &[&self.db, &self.http]);
    }
    fn teardown(
        this: ::goprocess::__private::Arc<Self>,
    ) -> ::goprocess::__private::Teardown {
        #[allow(unused_imports)]
        use ::goprocess::__private::NoTeardown as _;
        Self::__goprocess_teardown(this)
    }
}
impl App {
    /// The stages in which a started `App` closes its `#[child]` fields, derived
    /// at compile time from their `#[wait_for(..)]` attributes:
    ///
    /// 1. `http`
    /// 2. `db` (after `http`)
    /// 3. `cache` (after `db`, `http`)
    ///
    /// Fields of one stage close concurrently; a field starts closing once every
    /// field it waits for has closed. The `#[teardown]` of `App`, if any, runs last.
    #[allow(dead_code)]
    pub const SHUTDOWN_ORDER: &'static [&'static [&'static str]] = &[
        &["http"],
        &["db"],
        &["cache"],
    ];
    /// The shutdown order of `App` as a Mermaid `flowchart`: an arrow
    /// `a --> b` means that `b` closes after `a`; `#[child(no_wait)]` fields
    /// have no arrow (nothing waits for them), bare `#[wait_for]` fields point
    /// at `App`'s own teardown, which comes last. Paste it in a
    /// ```` ```mermaid ```` block to render it:
    ///
    /// ```text
    /// flowchart TD
    ///     http["http"]
    ///     db["db"]
    ///     cache["cache"]
    ///     self(["App teardown"])
    ///     http --> db
    ///     db --> cache
    ///     http --> cache
    ///     cache --> self
    /// ```
    #[allow(dead_code)]
    pub const SHUTDOWN_MERMAID: &'static str = "flowchart TD\n    http[\"http\"]\n    db[\"db\"]\n    cache[\"cache\"]\n    self([\"App teardown\"])\n    http --> db\n    db --> cache\n    http --> cache\n    cache --> self\n";
}
