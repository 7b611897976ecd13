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
    const PLAN: ::goprocess::__private::Plan = ::goprocess::__private::Plan {
        stages: &[&["http"], &["db"], &["cache"]],
        fields: &[
            ::goprocess::__private::PlanField::child("http")
                .nested(::goprocess::__private::plan_of::<Http>),
            ::goprocess::__private::PlanField::child("db")
                .after(&["http"])
                .nested(::goprocess::__private::plan_of::<Db>),
            ::goprocess::__private::PlanField::child("cache").after(&["db", "http"]),
        ],
    };
    fn wire(&self, wiring: &mut ::goprocess::__private::Wiring<'_>) {
        let http = wiring.child::<Handle<Http>>("http", &self.http);
        let db = wiring.child_after::<Handle<Db>>("db", &self.db, &[&http]);
        wiring.child_after::<Process>("cache", &self.cache, &[&db, &http]);
    }
    fn hooks() -> ::goprocess::__private::Hooks<Self> {
        #[allow(unused_imports)]
        use ::goprocess::__private::NoHooks as _;
        ::goprocess::__private::Hooks::<
            Self,
        >::new(App::__GOPROCESS_TEARDOWN, App::__GOPROCESS_RUN)
    }
}
