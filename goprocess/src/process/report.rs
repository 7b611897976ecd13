//! Reporting the end of a task exactly once, even when it never ends.

use crate::error::Error;

/// Where the end of a task is reported.
pub(crate) trait Report {
    /// Why an `Aborted` error is reported when the task is dropped first.
    const DROPPED: &'static str;
    fn report(self, result: Result<(), Error>);
}

/// Reports the end of a task exactly once: with its result, or with
/// [`ErrorKind::Aborted`](crate::ErrorKind::Aborted) when the task is
/// dropped before it finishes (aborted, or its runtime shut down), so
/// nobody waits for work that is gone.
pub(crate) struct ReportOnce<R: Report>(Option<R>);

impl<R: Report> ReportOnce<R> {
    pub(crate) fn new(to: R) -> ReportOnce<R> {
        ReportOnce(Some(to))
    }

    /// Where the end will be reported, until it is.
    pub(crate) fn to(&self) -> Option<&R> {
        self.0.as_ref()
    }

    pub(crate) fn finish(&mut self, result: Result<(), Error>) {
        if let Some(to) = self.0.take() {
            to.report(result);
        }
    }
}

impl<R: Report> Drop for ReportOnce<R> {
    fn drop(&mut self) {
        if self.0.is_some() {
            self.finish(Err(Error::aborted(R::DROPPED)));
        }
    }
}
