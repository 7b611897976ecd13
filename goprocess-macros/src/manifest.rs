//! Whether the crate being built can name `::goprocess`, the path the
//! expansion uses unless `crate = "path"` says otherwise.
//!
//! A crate that reaches goprocess only through a re-export (or depends on
//! it under another name) gets one error that names the fix, instead of
//! rustc's "cannot find `goprocess`" at every generated path. The answer
//! comes from the crate's `Cargo.toml` (its dependency tables), read only
//! when Cargo is the build tool; whenever in doubt (another build tool, a
//! manifest that cannot be read or that the simple reading below does not
//! understand) nothing is reported, and `crate = "::goprocess"` skips the
//! check altogether.

use std::cell::RefCell;
use std::path::PathBuf;

/// What a manifest says about a dependency on goprocess.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Dependency {
    /// `goprocess = ..`: `::goprocess` resolves.
    Direct,
    /// `name = { package = "goprocess", .. }`: `::name` resolves instead.
    Renamed(String),
    /// No dependency on goprocess.
    Missing,
}

thread_local! {
    /// The last manifest read and what it said (a build reads one).
    static LAST: RefCell<Option<(PathBuf, Dependency)>> = const { RefCell::new(None) };
}

/// `Err` with a message naming the fix when the crate being built cannot
/// name `::goprocess`. Only in a real expansion (not in this crate's unit
/// tests, which run the macros outside the compiler).
pub(crate) fn check_dependency() -> Result<(), String> {
    if !proc_macro::is_available()
        || std::env::var_os("CARGO").is_none()
        || std::env::var("CARGO_PKG_NAME").is_ok_and(|name| name == "goprocess")
    {
        return Ok(());
    }
    let Some(path) = std::env::var_os("CARGO_MANIFEST_PATH")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("CARGO_MANIFEST_DIR").map(|dir| PathBuf::from(dir).join("Cargo.toml"))
        })
    else {
        return Ok(());
    };
    let cached = LAST.with_borrow(|last| {
        last.as_ref()
            .filter(|(read, _)| *read == path)
            .map(|(_, found)| found.clone())
    });
    let found = match cached {
        Some(found) => found,
        None => {
            let Ok(text) = std::fs::read_to_string(&path) else {
                return Ok(());
            };
            let found = dependency(&text);
            LAST.set(Some((path, found.clone())));
            found
        }
    };
    match found {
        Dependency::Direct => Ok(()),
        Dependency::Renamed(name) => {
            let name = name.replace('-', "_");
            Err(format!(
                "this crate depends on goprocess under the name `{name}`, so `::goprocess` cannot be found; \
                 say where it is: `#[process(crate = \"::{name}\")]` (and the same on `#[teardown]` and `#[run]`)"
            ))
        }
        Dependency::Missing => Err(
            "`::goprocess` cannot be found: this crate's Cargo.toml has no `goprocess` dependency. \
             If goprocess comes through a crate that re-exports it, say where: \
             `#[process(crate = \"my_crate::goprocess\")]` (and the same on `#[teardown]` and `#[run]`); \
             otherwise add goprocess to [dependencies]"
                .to_owned(),
        ),
    }
}

/// Reads the dependency tables of a manifest (`[dependencies]`,
/// `[dev-dependencies]`, `[build-dependencies]`, their `[target.'..']`
/// forms, and `[dependencies.name]` tables). Not a TOML parser: one key per
/// line, as Cargo writes and documents manifests.
pub(crate) fn dependency(manifest: &str) -> Dependency {
    let mut direct = false;
    let mut renamed = None;
    // In a dependency table; `Some(name)` in a `[dependencies.name]` table.
    let mut table: Option<Option<String>> = None;
    for line in manifest.lines() {
        let line = strip_comment(line).trim();
        if let Some(header) = line.strip_prefix('[') {
            let header = header.trim_start_matches('[').trim_end_matches(']').trim();
            table = dependency_table(header);
            if let Some(Some(name)) = &table
                && name == "goprocess"
            {
                direct = true;
            }
            continue;
        }
        let Some(table) = &table else {
            continue;
        };
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = unquote(key.trim());
        match table {
            Some(name) => {
                if key == "package" && unquote(value.trim()) == "goprocess" {
                    renamed = Some(name.clone());
                }
            }
            None => {
                let name = unquote(key.split('.').next().unwrap_or(key).trim());
                match package(value) {
                    Some("goprocess") => renamed = Some(name.to_owned()),
                    Some(_) => {}
                    None if name == "goprocess" => direct = true,
                    None => {}
                }
            }
        }
    }
    match (direct, renamed) {
        (true, _) => Dependency::Direct,
        (false, Some(name)) => Dependency::Renamed(name),
        (false, None) => Dependency::Missing,
    }
}

/// `Some(None)` for a table of dependencies, `Some(Some(name))` for the
/// table of one dependency, `None` for any other table.
fn dependency_table(header: &str) -> Option<Option<String>> {
    let rest = match header.strip_prefix("target.") {
        // `target.'cfg(unix)'.dependencies`: skip the quoted platform.
        Some(target) => {
            let quote = target.chars().next().filter(|c| *c == '\'' || *c == '"');
            let after = match quote {
                Some(quote) => target[1..].split_once(quote)?.1,
                None => target.split_once('.').map_or("", |(_, after)| after),
            };
            after.trim_start_matches('.')
        }
        None => header,
    };
    let (table, name) = match rest.split_once('.') {
        Some((table, name)) => (table.trim(), Some(unquote(name.trim()).to_owned())),
        None => (rest.trim(), None),
    };
    matches!(
        table,
        "dependencies" | "dev-dependencies" | "build-dependencies" | "dev_dependencies"
    )
    .then_some(name)
}

/// The `package = ".."` of an inline table, if any.
fn package(value: &str) -> Option<&str> {
    let at = value.find("package")?;
    let rest = value[at + "package".len()..]
        .trim_start()
        .strip_prefix('=')?;
    let rest = rest.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    rest[1..].split(quote).next()
}

fn unquote(text: &str) -> &str {
    text.trim_matches(|c| c == '"' || c == '\'')
}

/// The line up to a `#` that is not inside a string.
fn strip_comment(line: &str) -> &str {
    let mut quote = None;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '#') => return &line[..i],
            (None, '"' | '\'') => quote = Some(c),
            (Some(open), c) if c == open => quote = None,
            _ => {}
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::{Dependency, dependency};

    #[test]
    fn direct_dependencies() {
        for manifest in [
            "[dependencies]\ngoprocess = \"0.1\"\n",
            "[dependencies]\ngoprocess = { version = \"0.1\", features = [] }\n",
            "[dependencies]\ngoprocess.workspace = true\n",
            "[dev-dependencies]\ngoprocess = { path = \"../goprocess\" }\n",
            "[target.'cfg(unix)'.dependencies]\ngoprocess = \"0.1\"\n",
            "[target.\"cfg(unix)\".dev-dependencies]\n\"goprocess\" = \"0.1\"\n",
            "[dependencies.goprocess]\nversion = \"0.1\"\n",
            "[package]\nname = \"x\" # goprocess\n[dependencies]\nserde = \"1\"\ngoprocess = \"0.1\" # the runtime\n",
        ] {
            assert_eq!(dependency(manifest), Dependency::Direct, "{manifest}");
        }
    }

    #[test]
    fn renamed_dependencies() {
        for manifest in [
            "[dependencies]\ngp = { package = \"goprocess\", version = \"0.1\" }\n",
            "[dependencies.gp]\npackage = \"goprocess\"\nversion = \"0.1\"\n",
        ] {
            assert_eq!(
                dependency(manifest),
                Dependency::Renamed("gp".into()),
                "{manifest}"
            );
        }
    }

    #[test]
    fn missing_dependencies() {
        for manifest in [
            "[package]\nname = \"goprocess-reexport\"\n[dependencies]\nfacade = { path = \"../facade\" }\n",
            "[workspace.dependencies]\ngoprocess = \"0.1\"\n[dependencies]\nfacade = \"1\"\n",
            "[dependencies]\ngoprocess = { package = \"other\" }\n",
            "",
        ] {
            assert_eq!(dependency(manifest), Dependency::Missing, "{manifest}");
        }
    }
}
