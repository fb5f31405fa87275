//! Checks [`crate::LAYERS`]: no top-level module uses one listed after it (so the
//! modules have no import cycle), every top-level module is listed, and only the
//! HTTP side names actix. Reads the sources, as `no_route_is_mounted_outside_the_table`
//! does for routes.
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::LAYERS;

/// The modules that may name actix: the HTTP edge and what starts it.
const ACTIX_AWARE: &[&str] = &["routes", "startup", "sandbox", "cli"];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file under `src/` belongs to (`None`: the crate root).
fn module_of(root: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(root).unwrap();
    let first = rel.components().next()?.as_os_str().to_str()?.to_owned();
    let name = first.strip_suffix(".rs").unwrap_or(&first).to_owned();
    (!matches!(name.as_str(), "lib" | "main" | "layers_tests")).then_some(name)
}

/// The text without `//` comments (doc comments included), line by line.
fn code(text: &str) -> String {
    text.lines()
        .map(|line| line.split_once("//").map_or(line, |(code, _)| code))
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// The top-level names after each `crate::`: `crate::db::x` gives `db`, and
/// `crate::{db::x, domain::{Y, Z}}` (over several lines too) gives `db` and `domain`.
fn crate_refs(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        let Some(group) = rest.strip_prefix('{') else {
            found.push(ident(rest).to_owned());
            continue;
        };
        let mut depth = 0usize;
        let mut item_start = true;
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => item_start = true,
                c if c.is_whitespace() => {}
                _ if item_start => {
                    found.push(ident(&group[i..]).to_owned());
                    item_start = false;
                }
                _ => {}
            }
        }
    }
    found.retain(|name| !name.is_empty() && name != "self");
    found
}

fn files() -> (PathBuf, Vec<PathBuf>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    files.sort();
    (root, files)
}

#[test]
fn no_module_uses_a_module_above_it_in_the_layers() {
    let (root, files) = files();
    let mut offences = Vec::new();
    for file in &files {
        let Some(module) = module_of(&root, file) else {
            continue;
        };
        let Some(level) = LAYERS.iter().position(|l| *l == module) else {
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        for used in crate_refs(&code(&text)) {
            if used == module {
                continue;
            }
            match LAYERS.iter().position(|l| *l == used) {
                Some(above) if above > level => offences.push(format!(
                    "src/{} (in `{module}`) uses `crate::{used}`, which is above it in LAYERS",
                    file.strip_prefix(&root).unwrap().display()
                )),
                Some(_) => {}
                None => offences.push(format!(
                    "src/{} (in `{module}`) names `crate::{used}`, not a module in LAYERS: \
                     use the module's own path",
                    file.strip_prefix(&root).unwrap().display()
                )),
            }
        }
    }
    assert!(
        offences.is_empty(),
        "layering broken:\n{}",
        offences.join("\n")
    );
}

#[test]
fn every_top_level_module_has_a_place_in_the_layers() {
    let (root, files) = files();
    let modules: BTreeSet<String> = files.iter().filter_map(|f| module_of(&root, f)).collect();
    for module in &modules {
        assert!(
            LAYERS.contains(&module.as_str()),
            "`{module}` is not in LAYERS (server/src/lib.rs): give it its place"
        );
    }
    for layer in LAYERS {
        assert!(
            modules.contains(*layer),
            "LAYERS names `{layer}`, which has no source"
        );
    }
    let unique: BTreeSet<_> = LAYERS.iter().collect();
    assert_eq!(
        unique.len(),
        LAYERS.len(),
        "a module is listed twice in LAYERS"
    );
}

#[test]
fn only_the_http_edge_names_actix() {
    let (root, files) = files();
    let mut offences = Vec::new();
    for file in &files {
        let Some(module) = module_of(&root, file) else {
            continue;
        };
        if ACTIX_AWARE.contains(&module.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        if code(&text).contains("actix") {
            offences.push(format!(
                "src/{}",
                file.strip_prefix(&root).unwrap().display()
            ));
        }
    }
    assert!(
        offences.is_empty(),
        "actix outside routes, startup, sandbox and cli:\n{}",
        offences.join("\n")
    );
}

#[test]
fn imports_are_found_on_one_line_and_across_lines() {
    let text =
        "use crate::db::x;\nuse crate::{\n    auth::{A, B},\n    domain::C,\n    self,\n};\n\
                let y = crate::policy::decide(); // crate::cli in a comment\n";
    assert_eq!(crate_refs(&code(text)), ["db", "auth", "domain", "policy"]);
}
