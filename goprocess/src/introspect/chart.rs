//! A [`Timeline`] drawn as its table with a bar per process, and the table
//! itself (the `Display` of [`Timeline`]).

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use super::escape::Text;
use super::timeline::{Timeline, TimelineRow};

/// Bars are this many columns wide unless [`TimelineChart::width`] says
/// otherwise.
const DEFAULT_WIDTH: usize = 30;

/// The widest bars drawn: wider is no use on any screen, and a width of
/// `usize::MAX` must not try to allocate that many columns.
const MAX_WIDTH: usize = 1000;

impl Timeline {
    /// The timeline as a chart: the table of its `Display`, with a bar per
    /// process from when it started closing to when it closed, on one time
    /// scale, so what waited for what can be seen at a glance.
    ///
    /// The chart is drawn when it is displayed, from the events recorded
    /// by then. Bars span from the first process that started closing to
    /// the last that closed; a process still closing gets a light bar up
    /// to the end. [`fold`](TimelineChart::fold) shows many processes of a
    /// kind as one row.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// use std::time::Duration;
    /// use goprocess::Process;
    /// use goprocess::introspect::Timeline;
    ///
    /// let app = Process::new().named("app");
    /// let http = Process::with_parent(&app).named("http");
    /// let db = Process::with_parent(&app).named("db");
    /// db.wait_for(&http).unwrap();
    /// http.set_async_teardown(|| async {
    ///     tokio::time::sleep(Duration::from_millis(10)).await; // drain
    ///     Ok(())
    /// }).unwrap();
    /// db.set_async_teardown(|| async {
    ///     tokio::time::sleep(Duration::from_millis(20)).await; // flush
    ///     Ok(())
    /// }).unwrap();
    /// let timeline = Timeline::new();
    /// timeline.attach(&app);
    /// app.close().await.unwrap();
    ///
    /// let chart = timeline.chart().width(15).to_string();
    /// print!("{chart}");
    /// // process  closing at  teardown  closed at    took
    /// // http         +0.0ms    10.0ms    +10.0ms  10.0ms  █████
    /// // db           +0.0ms    20.0ms    +30.0ms  30.0ms  ███████████████
    /// // app          +0.0ms         -    +30.0ms  30.0ms  ███████████████
    /// let bars: Vec<&str> = chart.lines().skip(1).map(|l| l.trim_start_matches(|c| c != '█')).collect();
    /// assert_eq!(bars, ["█████", "███████████████", "███████████████"]);
    /// # }
    /// ```
    pub fn chart(&self) -> TimelineChart {
        TimelineChart {
            timeline: self.clone(),
            width: DEFAULT_WIDTH,
            folds: Vec::new(),
        }
    }
}

/// A [`Timeline`] drawn as a table with a bar per process; made by
/// [`Timeline::chart`], rendered by its `Display`.
#[derive(Clone, Debug)]
#[must_use = "a chart does nothing until it is displayed"]
pub struct TimelineChart {
    timeline: Timeline,
    width: usize,
    folds: Vec<Cow<'static, str>>,
}

impl TimelineChart {
    /// The width of the longest bar, in columns (30 by default; 0 draws no
    /// bars; at most 1,000).
    ///
    /// ```
    /// use goprocess::introspect::Timeline;
    ///
    /// let narrow = Timeline::new().chart().width(10);
    /// assert_eq!(narrow.to_string().lines().count(), 1); // nothing recorded: the header
    /// ```
    pub fn width(mut self, columns: usize) -> TimelineChart {
        self.width = columns.min(MAX_WIDTH);
        self
    }

    /// Shows the processes whose names start with `prefix` as one row,
    /// named `{prefix}×{count}`: from the first of them that started
    /// closing to the last that closed (failed if any of them failed). The
    /// row comes where the last of them closed. For the many short-lived
    /// children of a pool or a periodic process; may be called for several
    /// prefixes.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// use goprocess::Process;
    /// use goprocess::introspect::Timeline;
    ///
    /// let pool = Process::new().named("pool");
    /// for i in 0..100 {
    ///     let _job = Process::with_parent(&pool).named(format!("job {i}"));
    /// }
    /// let timeline = Timeline::new();
    /// timeline.attach(&pool);
    /// pool.close().await.unwrap();
    ///
    /// let chart = timeline.chart().fold("job ").to_string();
    /// let names: Vec<&str> = chart.lines().map(|l| l.split("  ").next().unwrap()).collect();
    /// assert_eq!(names, ["process", "job ×100", "pool"]);
    /// # }
    /// ```
    pub fn fold(mut self, prefix: impl Into<Cow<'static, str>>) -> TimelineChart {
        self.folds.push(prefix.into());
        self
    }

    /// The rows to draw: the timeline's, with the folded ones merged.
    fn lines(&self) -> Vec<Line> {
        let rows = self.timeline.rows();
        let fold_of =
            |row: &TimelineRow| self.folds.iter().position(|p| row.name().starts_with(&**p));
        // For each fold: its line so far, how many rows it holds, and the
        // index of its last row (where it is drawn).
        let mut folded: Vec<Option<(Line, usize, usize)>> =
            self.folds.iter().map(|_| None).collect();
        for (i, row) in rows.iter().enumerate() {
            if let Some(k) = fold_of(row) {
                match &mut folded[k] {
                    None => folded[k] = Some((Line::from(row), 1, i)),
                    Some((line, count, last)) => {
                        line.merge(row);
                        *count += 1;
                        *last = i;
                    }
                }
            }
        }
        let mut lines = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            let Some(k) = fold_of(row) else {
                lines.push(Line::from(row));
                continue;
            };
            if folded[k].as_ref().is_some_and(|(_, _, last)| *last == i) {
                let (mut line, count, _) = folded[k].take().expect("just checked");
                line.name = Cow::Owned(format!("{}×{count}", Text(&self.folds[k])));
                lines.push(line);
            }
        }
        lines
    }
}

impl fmt::Display for TimelineChart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines = self.lines();
        let scale = Scale::of(&lines, self.width);
        write_table(f, &lines, scale.as_ref())?;
        write_dropped(f, &self.timeline)
    }
}

/// One row of the table.
struct Line {
    name: Cow<'static, str>,
    starting_at: Option<Duration>,
    ready_at: Option<Duration>,
    closing_at: Option<Duration>,
    teardown: Option<Duration>,
    closed_at: Option<Duration>,
    failed: bool,
    restarts: u64,
}

impl From<&TimelineRow> for Line {
    fn from(row: &TimelineRow) -> Line {
        Line {
            name: Cow::Owned(Text(row.name()).to_string()),
            starting_at: row.starting_at(),
            ready_at: row.ready_at(),
            closing_at: row.closing_at(),
            teardown: row.teardown_took(),
            closed_at: row.closed_at(),
            failed: row.failed(),
            restarts: row.restarts(),
        }
    }
}

impl Line {
    /// Widens this line to cover `row` too; a merged line has no teardown
    /// time of its own, and is closed only once every member is.
    fn merge(&mut self, row: &TimelineRow) {
        let earliest = |a: Option<Duration>, b: Option<Duration>| match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.starting_at = earliest(self.starting_at, row.starting_at());
        self.ready_at = self.ready_at.max(row.ready_at());
        self.closing_at = earliest(self.closing_at, row.closing_at());
        self.closed_at = self.closed_at.zip(row.closed_at()).map(|(a, b)| a.max(b));
        self.teardown = None;
        self.failed |= row.failed();
        self.restarts = self.restarts.max(row.restarts());
    }

    fn took(&self) -> Option<Duration> {
        Some(self.closed_at?.saturating_sub(self.closing_at?))
    }
}

/// Where bars start and how long a column is.
struct Scale {
    from: Duration,
    span: Duration,
    width: usize,
}

impl Scale {
    /// From the first closing to the last event of `lines`; `None` when
    /// there is nothing to draw.
    fn of(lines: &[Line], width: usize) -> Option<Scale> {
        if width == 0 {
            return None;
        }
        let from = lines
            .iter()
            .flat_map(|l| [l.starting_at, l.closing_at])
            .flatten()
            .min()?;
        let to = lines
            .iter()
            .flat_map(|l| [l.closed_at.or(l.closing_at), l.ready_at, l.starting_at])
            .flatten()
            .max()
            .unwrap_or(from);
        Some(Scale {
            from,
            span: to.saturating_sub(from),
            width,
        })
    }

    fn column(&self, at: Duration) -> usize {
        if self.span.is_zero() {
            return 0;
        }
        let share = at.saturating_sub(self.from).as_secs_f64() / self.span.as_secs_f64();
        ((share * self.width as f64).round() as usize).min(self.width)
    }

    /// The row's bar on the time scale: its start, from when it became
    /// not ready to when it was ready (`▒`, or `░` to its close or the end
    /// while not ready), then its close, from closing to closed (`█`, or
    /// `░` to the end while still closing); each at least one column.
    fn bar(&self, line: &Line) -> Option<String> {
        if line.starting_at.is_none() && line.closing_at.is_none() {
            return None;
        }
        let mut cells = vec![' '; self.width];
        let mut paint = |from: Duration, to: Option<Duration>, block: char| {
            let start = self.column(from).min(self.width - 1);
            let end = to.map_or(self.width, |t| self.column(t)).max(start + 1);
            for cell in &mut cells[start..end.min(self.width)] {
                *cell = block;
            }
        };
        if let Some(starting) = line.starting_at {
            match line.ready_at {
                Some(ready) => paint(starting, Some(ready), '▒'),
                None => paint(starting, line.closing_at, '░'),
            }
        }
        if let Some(closing) = line.closing_at {
            match line.closed_at {
                Some(closed) => paint(closing, Some(closed), '█'),
                None => paint(closing, None, '░'),
            }
        }
        let bar: String = cells.into_iter().collect();
        Some(bar.trim_end().to_owned())
    }
}

/// The table: a header, then a line per row; with a scale, a bar after
/// each line.
fn write_table(f: &mut fmt::Formatter<'_>, lines: &[Line], scale: Option<&Scale>) -> fmt::Result {
    let width = lines
        .iter()
        .map(|l| l.name.chars().count())
        .max()
        .unwrap_or(0)
        .max(7);
    let ms = |d: Option<Duration>, plus: bool| match d {
        Some(d) => format!(
            "{}{:.1}ms",
            if plus { "+" } else { "" },
            d.as_secs_f64() * 1e3
        ),
        None => "-".to_string(),
    };
    // A "ready at" column only when the timeline saw a start.
    let started = lines.iter().any(|l| l.starting_at.is_some());
    write!(f, "{:<width$}", "process")?;
    if started {
        write!(f, "  {:>10}", "ready at")?;
    }
    writeln!(
        f,
        "  {:>10}  {:>9}  {:>10}  {:>9}",
        "closing at", "teardown", "closed at", "took"
    )?;
    for l in lines {
        write!(f, "{:<width$}", l.name)?;
        if started {
            write!(f, "  {:>10}", ms(l.ready_at, true))?;
        }
        write!(
            f,
            "  {:>10}  {:>9}  {:>10}  {:>9}",
            ms(l.closing_at, true),
            ms(l.teardown, false),
            ms(l.closed_at, true),
            ms(l.took(), false),
        )?;
        if let Some(bar) = scale.and_then(|s| s.bar(l)) {
            write!(f, "  {bar}")?;
        }
        if l.restarts > 0 {
            write!(f, "  (restarts: {})", l.restarts)?;
        }
        if l.failed {
            f.write_str("  (failed)")?;
        }
        writeln!(f)?;
    }
    Ok(())
}

/// The `Display` of [`Timeline`]: the table without bars.
pub(super) fn write_plain(f: &mut fmt::Formatter<'_>, timeline: &Timeline) -> fmt::Result {
    let lines: Vec<Line> = timeline.rows().iter().map(Line::from).collect();
    write_table(f, &lines, None)?;
    write_dropped(f, timeline)
}

/// After the table: what a full timeline dropped, if anything.
fn write_dropped(f: &mut fmt::Formatter<'_>, timeline: &Timeline) -> fmt::Result {
    let dropped = timeline.dropped();
    if dropped.events == 0 {
        return Ok(());
    }
    writeln!(
        f,
        "({} earlier events of {} processes dropped: the timeline keeps {})",
        dropped.events,
        dropped.processes,
        timeline.capacity()
    )
}
