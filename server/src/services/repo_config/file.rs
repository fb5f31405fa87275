//! Reading one `.github/gantry.yml`: YAML into JSON values, keeping the line of every
//! key (by JSON pointer) so each error of the file names its line; then the file's
//! shape: an optional `extends: OWNER/REPO` and one key per plugin. Pure, no I/O.
use std::collections::BTreeMap;

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};
use yaml_rust2::Yaml;

/// The path of the file in a repository.
pub const PATH: &str = ".github/gantry.yml";

/// The largest file read (GitHub's contents API serves up to 1 MiB inline).
pub const MAX_BYTES: usize = 256 * 1024;

/// One thing wrong with a file: what, and on which line of it when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The line (1-based) in the repository's own file.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl Problem {
    /// A problem at `line`.
    #[must_use]
    pub fn at(line: Option<usize>, message: impl Into<String>) -> Self {
        Self {
            line,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// A parsed YAML document: its value as JSON and the line of each key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Document {
    /// The document (an empty file is an empty object).
    pub value: Value,
    lines: BTreeMap<String, usize>,
}

impl Document {
    /// The line of the value at `pointer` (a JSON pointer), or of the nearest key
    /// above it that has one.
    #[must_use]
    pub fn line_of(&self, pointer: &str) -> Option<usize> {
        let mut at = pointer;
        loop {
            if let Some(line) = self.lines.get(at) {
                return Some(*line);
            }
            at = &at[..at.rfind('/')?];
        }
    }
}

/// The file's parts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GantryFile {
    /// `extends`: the repository whose file is the base, and its line.
    pub extends: Option<(String, usize)>,
    /// Each plugin's configuration, in the file's order, with the line of its key.
    pub plugins: Vec<(String, Value, usize)>,
    /// The document, for the lines of nested keys.
    pub document: Document,
}

/// Escapes a key for a JSON pointer (RFC 6901).
#[must_use]
pub fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Parses the text of a `.github/gantry.yml`.
///
/// # Errors
/// Every problem found: YAML syntax (one, where the parser stopped), a file that
/// is not a mapping, an `extends` that is not `OWNER/REPO`, a plugin whose value is
/// not a mapping.
pub fn parse(text: &str) -> Result<GantryFile, Vec<Problem>> {
    if text.len() > MAX_BYTES {
        return Err(vec![Problem::at(
            None,
            format!(
                "the file is {} bytes; at most {MAX_BYTES} are read",
                text.len()
            ),
        )]);
    }
    let document = parse_yaml(text).map_err(|p| vec![p])?;
    let Value::Object(top) = &document.value else {
        return Err(vec![Problem::at(
            Some(1),
            "the file must be a mapping: `extends` and one key per plugin",
        )]);
    };
    let mut problems = Vec::new();
    let mut file = GantryFile::default();
    for (key, value) in top {
        let line = document.line_of(&format!("/{}", escape(key))).unwrap_or(1);
        if key == "extends" {
            match value.as_str().filter(|v| valid_repo(v)) {
                Some(repo) => file.extends = Some((repo.to_owned(), line)),
                None => problems.push(Problem::at(
                    Some(line),
                    "`extends` must name one repository as OWNER/REPO (usually OWNER/.github)",
                )),
            }
            continue;
        }
        match value {
            Value::Object(_) => file.plugins.push((key.clone(), value.clone(), line)),
            Value::Null => file
                .plugins
                .push((key.clone(), Value::Object(Map::new()), line)),
            _ => problems.push(Problem::at(
                Some(line),
                format!("`{key}`: a plugin's configuration must be a mapping of its options"),
            )),
        }
    }
    file.document = document;
    if problems.is_empty() {
        Ok(file)
    } else {
        Err(problems)
    }
}

/// `owner/name` with GitHub's characters.
fn valid_repo(text: &str) -> bool {
    let part = |p: &str| {
        !p.is_empty()
            && p.len() <= 100
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    };
    matches!(text.split_once('/'), Some((o, n)) if part(o) && part(n) && !n.contains('/'))
}

/// Parses YAML (one document) into JSON with the line of every key.
///
/// # Errors
/// The parser's message and line, or what this reader refuses (aliases, several
/// documents, duplicate keys, keys that are not scalars, non-finite numbers).
pub fn parse_yaml(text: &str) -> Result<Document, Problem> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut builder, true).map_err(|e| {
        Problem::at(
            Some(e.marker().line()),
            format!("YAML syntax: {}", e.info()),
        )
    })?;
    if let Some(problem) = builder.problem {
        return Err(problem);
    }
    let value = match builder.root {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(value) => value,
    };
    Ok(Document {
        value,
        lines: builder.lines,
    })
}

enum Frame {
    Map {
        pointer: String,
        map: Map<String, Value>,
        key: Option<String>,
    },
    Seq {
        pointer: String,
        items: Vec<Value>,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    root: Option<Value>,
    lines: BTreeMap<String, usize>,
    documents: usize,
    problem: Option<Problem>,
}

impl Builder {
    fn fail(&mut self, mark: Marker, message: impl Into<String>) {
        if self.problem.is_none() {
            self.problem = Some(Problem::at(Some(mark.line()), message));
        }
    }

    /// Where a value starting now goes.
    fn pointer(&self) -> String {
        match self.stack.last() {
            None => String::new(),
            Some(Frame::Map { pointer, key, .. }) => {
                format!("{pointer}/{}", escape(key.as_deref().unwrap_or_default()))
            }
            Some(Frame::Seq { pointer, items }) => format!("{pointer}/{}", items.len()),
        }
    }

    fn put(&mut self, value: Value, mark: Marker) {
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(Frame::Seq { items, .. }) => items.push(value),
            Some(Frame::Map { map, key, .. }) => {
                if let Some(key) = key.take() {
                    map.insert(key, value);
                } else {
                    self.fail(
                        mark,
                        "a mapping key must be a plain value, not a list or mapping",
                    );
                }
            }
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        if self.problem.is_some() {
            return;
        }
        match event {
            Event::DocumentStart => {
                self.documents += 1;
                if self.documents > 1 {
                    self.fail(mark, "the file must hold one YAML document");
                }
            }
            Event::Alias(_) => self.fail(mark, "YAML aliases (`*name`) are not supported here"),
            Event::Scalar(text, style, _, tag) => {
                // A key of a mapping?
                if let Some(Frame::Map { pointer, map, key }) = self.stack.last_mut() {
                    if key.is_none() {
                        let at = format!("{pointer}/{}", escape(&text));
                        if map.contains_key(&text) {
                            let message = format!("`{text}` is set twice in the same mapping");
                            self.fail(mark, message);
                            return;
                        }
                        self.lines.insert(at, mark.line());
                        *key = Some(text);
                        return;
                    }
                }
                let quoted = !matches!(style, TScalarStyle::Plain)
                    || tag.as_ref().is_some_and(|t| t.suffix == "str");
                match scalar(&text, quoted) {
                    Ok(value) => self.put(value, mark),
                    Err(message) => self.fail(mark, message),
                }
            }
            Event::SequenceStart(..) => {
                let pointer = self.pointer();
                self.stack.push(Frame::Seq {
                    pointer,
                    items: Vec::new(),
                });
            }
            Event::MappingStart(..) => {
                let pointer = self.pointer();
                if let Some(Frame::Map { key: None, .. }) = self.stack.last() {
                    self.fail(
                        mark,
                        "a mapping key must be a plain value, not a list or mapping",
                    );
                    return;
                }
                self.stack.push(Frame::Map {
                    pointer,
                    map: Map::new(),
                    key: None,
                });
            }
            Event::SequenceEnd => {
                if let Some(Frame::Seq { items, .. }) = self.stack.pop() {
                    self.put(Value::Array(items), mark);
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map { map, .. }) = self.stack.pop() {
                    self.put(Value::Object(map), mark);
                }
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
        }
    }
}

/// A scalar as JSON: quoted ones are strings; plain ones follow YAML 1.2's core
/// schema (null, booleans, integers, floats, else a string).
fn scalar(text: &str, quoted: bool) -> Result<Value, String> {
    if quoted {
        return Ok(Value::String(text.to_owned()));
    }
    Ok(match Yaml::from_str(text) {
        Yaml::Null => Value::Null,
        Yaml::Boolean(b) => Value::Bool(b),
        Yaml::Integer(i) => Value::Number(i.into()),
        Yaml::Real(r) => {
            let number = r
                .parse::<f64>()
                .ok()
                .and_then(Number::from_f64)
                .ok_or_else(|| format!("`{text}` is not a finite number"))?;
            Value::Number(number)
        }
        _ => Value::String(text.to_owned()),
    })
}
