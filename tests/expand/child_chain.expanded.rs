use goprocess::{process, Handle, Process};
pub struct App {
    #[__goprocess(child)]
    http: Handle<Http>,
    #[__goprocess(child)]
    #[__goprocess(wait_for(http))]
    db: Handle<Db>,
    #[__goprocess(child)]
    #[__goprocess(wait_for(db, http))]
    cache: Process,
    config: Config,
}
#[automatically_derived]
impl ::goprocess::__private::Marked for App {}
#[automatically_derived]
impl ::goprocess::__private::Spec for App {
    const NAME: &'static str = "App";
    const PLAN: ::goprocess::__private::Plan = ::goprocess::__private::Plan {
        stages: &[&["http"], &["db"], &["cache"]],
        startup: &[&["cache"], &["db"], &["http"]],
        fields: &[
            ::goprocess::__private::PlanField::child("http")
                .nested(|| ::goprocess::__private::Nested::<Handle<Http>>::NEW.plan()),
            ::goprocess::__private::PlanField::child("db")
                .after(&["http"])
                .nested(|| ::goprocess::__private::Nested::<Handle<Db>>::NEW.plan()),
            ::goprocess::__private::PlanField::child("cache")
                .after(&["db", "http"])
                .nested(|| ::goprocess::__private::Nested::<Process>::NEW.plan()),
        ],
    };
    fn wire(&self, wiring: &mut ::goprocess::__private::Wiring<'_>) {
        wiring.child::<Handle<Http>>("http", &self.http);
        wiring.child_after::<Handle<Db>>("db", &self.db, &["http"]);
        wiring.child_after::<Process>("cache", &self.cache, &["db", "http"]);
    }
    fn hooks() -> ::goprocess::__private::Hooks<Self> {
        use ::goprocess::__private::NoHooks as _;
        Self::__goprocess_hooks(
            App::__goprocess_teardown(),
            App::__goprocess_run(),
            App::__goprocess_init(),
        )
    }
}
