//! Looking at live processes: [`Snapshot`] (the tree, as text, DOT or
//! Mermaid), [`ShutdownReport`] (who is blocking shutdown) and
//! [`Timeline`] (who closed when, during a shutdown).

mod chart;
pub(crate) mod escape;
mod health;
mod report;
mod snapshot;
mod timeline;

pub use chart::TimelineChart;
pub use health::Health;
pub use report::ShutdownReport;
pub use snapshot::{ProcessInfo, ProcessState, Snapshot};
pub use timeline::{Dropped, Timeline, TimelineEvent, TimelineEventKind, TimelineRow};
