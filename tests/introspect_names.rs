//! Hostile names in every view: a name is any string the program gave, so
//! it must never add a node, an edge or a line to an output, nor make it
//! invalid. Each output is parsed back as its reader would (Mermaid's
//! flowchart lines, DOT's quoted strings, one line per process in the text
//! tree, the report and the timeline).

mod common;

use std::time::Duration;

use common::within;
use goprocess::introspect::Timeline;
use goprocess::{ErrorKind, Process};

/// Names that broke a view, or could: they end a label and add a node and
/// an edge, start a Mermaid comment or Markdown string, fake a line of a
/// tree, hide text, or hold the path separator.
const HOSTILE: &[&str] = &[
    "]\n  INJECTED[\"pwned\"] --> p1\n%%",
    "`markdown`",
    "first\n%% a comment line",
    "a\"quote",
    "[brackets] {braces} (parens) <b>html</b> &amp; #quot; #35;",
    "semi;colon|pipe",
    "├── fake child [running]",
    "line\nbreak",
    "carriage\rreturn",
    "tab\there",
    "escape \u{1b}[31mred\u{1b}[0m",
    "separator\u{2028}here",
    "bidi \u{202e}desrever",
    "back\\slash",
    "a/b",
    "",
];

/// app, with a child per hostile name, each with a child `leaf`.
fn tree() -> (Process, Vec<Process>) {
    let app = Process::new().named("app");
    let mut named = Vec::new();
    for name in HOSTILE {
        let p = Process::with_parent(&app).named(*name);
        Process::with_parent(&p).named("leaf");
        named.push(p);
    }
    (app, named)
}

/// The same tree, each `leaf` a function that runs until aborted.
fn stuck_tree() -> (Process, Vec<Process>) {
    let app = Process::new().named("app");
    let mut named = Vec::new();
    for name in HOSTILE {
        let p = Process::with_parent(&app).named(*name);
        p.child().named("leaf").go(|_| std::future::pending::<()>());
        named.push(p);
    }
    (app, named)
}

/// The text between `open` and the first unescaped `"`, unescaped as DOT
/// reads it; and what follows the closing quote.
fn dot_string(line: &str) -> (String, &str) {
    let mut out = String::new();
    let mut chars = line.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                let (_, next) = chars.next().expect("an escape is complete");
                if next != '"' && next != '\\' {
                    out.push('\\');
                }
                out.push(next);
            }
            '"' => return (out, &line[i + 1..]),
            c => out.push(c),
        }
    }
    panic!("unterminated DOT string in {line:?}")
}

#[test]
fn mermaid_has_one_node_per_process_and_only_real_edges() {
    let (app, named) = tree();
    let snapshot = app.snapshot();
    let mermaid = snapshot.to_mermaid();
    let (mut nodes, mut edges) = (Vec::new(), Vec::new());
    for line in mermaid.lines() {
        if line == "flowchart TD" || line.starts_with("  classDef ") {
            continue;
        }
        // Mermaid drops a line that starts with `%%` before parsing.
        assert!(!line.trim_start().starts_with("%%"), "{line}");
        let rest = line
            .strip_prefix("  p")
            .unwrap_or_else(|| panic!("{line:?}"));
        let id_end = rest.find(|c: char| !c.is_ascii_digit()).unwrap();
        let id: u64 = rest[..id_end].parse().unwrap();
        let rest = &rest[id_end..];
        if let Some(label) = rest.strip_prefix("[\"").and_then(|r| r.strip_suffix("\"]")) {
            // Nothing in a label that Mermaid reads: no quote, bracket,
            // backtick (a Markdown string), comment or line break.
            for bad in ["\"", "[", "]", "`", "%%", "\n", "\r", "{", "}", "<b>"] {
                assert!(!label.contains(bad), "{bad:?} in label {label:?}");
            }
            nodes.push(id);
        } else if let Some(target) = rest.strip_prefix(" --> p") {
            edges.push((id, target.parse::<u64>().unwrap()));
        } else {
            assert!(rest.starts_with(" class"), "an unexpected line: {line:?}");
        }
    }
    assert_eq!(nodes.len(), snapshot.processes().len(), "{mermaid}");
    assert_eq!(edges.len(), 2 * HOSTILE.len(), "{mermaid}");
    for p in &named {
        assert!(edges.contains(&(app.id(), p.id())));
    }
    let first = &named[0];
    let label = format!(
        "p{}[\"#93;#92;n  INJECTED#91;#quot;pwned#quot;#93; --#62; p1#92;n#37;#37;<br/>running\"]",
        first.id()
    );
    assert!(mermaid.contains(&label), "{mermaid}");
    app.close_blocking().unwrap();
}

#[test]
fn dot_labels_hold_each_name_whole() {
    let (app, named) = tree();
    let dot = app.snapshot().to_dot();
    let mut labels = Vec::new();
    // A DOT string may span lines: read the output as DOT does.
    let mut rest = dot.as_str();
    while let Some(at) = rest.find("[label=\"") {
        let (label, after) = dot_string(&rest[at + 8..]);
        assert!(after.starts_with(", color="), "{after:?}");
        labels.push(label);
        rest = after;
    }
    assert_eq!(labels.len(), 1 + 2 * HOSTILE.len());
    for (p, name) in named.iter().zip(HOSTILE) {
        let shown = p
            .snapshot()
            .get(p.id())
            .unwrap()
            .display_name()
            .into_owned();
        assert_eq!(shown, *name);
        assert!(
            labels.contains(&format!("{name}\\nrunning")),
            "{name:?} not in {labels:?}"
        );
    }
    app.close_blocking().unwrap();
}

#[test]
fn the_text_tree_draws_one_line_per_process() {
    let (app, _) = tree();
    let text = app.snapshot().to_string();
    assert_eq!(text.lines().count(), 1 + 2 * HOSTILE.len(), "{text}");
    assert!(
        text.contains("├── ]\\n  INJECTED[\"pwned\"] --> p1\\n%% [running"),
        "{text}"
    );
    assert!(text.contains("├── line\\nbreak [running"), "{text}");
    assert!(
        text.contains("├── escape \\u{1b}[31mred\\u{1b}[0m [running"),
        "{text}"
    );
    assert!(
        text.contains("├── bidi \\u{202e}desrever [running"),
        "{text}"
    );
    assert!(text.contains("├── back\\\\slash [running"), "{text}");
    assert!(
        !text.contains(['\r', '\u{1b}', '\u{2028}', '\u{202e}']),
        "{text:?}"
    );
    app.close_blocking().unwrap();
}

#[tokio::test(start_paused = true)]
async fn reports_and_errors_keep_each_process_on_its_line_and_paths_unambiguous() {
    let (app, named) = stuck_tree();
    let err = within(app.close_within(Duration::from_secs(1)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    let report = err.shutdown_report().unwrap();
    let text = report.to_string();
    assert_eq!(text.lines().count(), report.open().len(), "{text}");
    assert_eq!(report.open().len(), 1 + 2 * HOSTILE.len());

    // `a/b` is one name: its path has two names, and shows it escaped.
    let slash = named
        .iter()
        .find(|p| p.name().as_deref() == Some("a/b"))
        .unwrap();
    let info = report.open().iter().find(|o| o.id() == slash.id()).unwrap();
    assert_eq!(info.path(), ["app", "a/b"]);
    assert!(
        info.to_string().starts_with("`app/a\\/b` (closing"),
        "{info}"
    );
    assert!(text.contains("`app/a\\/b/leaf` (closing"), "{text}");
    assert!(text.contains("`app/back\\\\slash/leaf`"), "{text}");
    assert!(text.contains("`app/line\\nbreak` (closing"), "{text}");

    // The error's forms too: one line, or one line per thing.
    assert_eq!(err.to_string().lines().count(), 1, "{err}");
    let tree = format!("{err:#}");
    let open_lines: Vec<&str> = tree.lines().filter(|l| l.starts_with("    `")).collect();
    assert_eq!(open_lines.len(), report.open().len(), "{tree}");
    for (line, info) in open_lines.iter().zip(report.open()) {
        assert_eq!(line.trim_start(), info.to_string());
    }
    for line in tree.lines() {
        assert!(
            ["process `", "  still open:", "    `", "  "]
                .iter()
                .any(|p| line.starts_with(p)),
            "a line that is none of the error's: {line:?}"
        );
    }
    let debug = format!("{err:?}");
    assert!(
        !debug.contains(['\r', '\u{1b}', '\u{2028}', '\u{202e}']),
        "{debug:?}"
    );
    within(app.closed()).await;
}

#[tokio::test(start_paused = true)]
async fn the_timeline_draws_one_row_per_process() {
    let (app, _) = tree();
    let timeline = Timeline::new();
    timeline.attach(&app);
    within(app.close()).await.unwrap();
    let table = timeline.to_string();
    assert_eq!(table.lines().count(), 1 + 1 + 2 * HOSTILE.len(), "{table}");
    let chart = timeline.chart().to_string();
    assert_eq!(chart.lines().count(), 1 + 1 + 2 * HOSTILE.len(), "{chart}");
    assert!(table.contains("line\\nbreak "), "{table}");
    assert!(
        !chart.contains(['\r', '\u{1b}', '\u{2028}', '\u{202e}']),
        "{chart:?}"
    );
}
