// A struct whose children close in stages: `http` first, then `db`, then
// `cache` (which waits for both); `config` is a plain field.
use goprocess::{process, Handle, Process};

#[process]
pub struct App {
    #[child]
    http: Handle<Http>,
    #[child]
    #[wait_for(http)]
    db: Handle<Db>,
    #[child]
    #[wait_for(db, http)]
    cache: Process,
    config: Config,
}
