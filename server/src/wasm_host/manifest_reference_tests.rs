//! The manifest reference in docs/plugin-guide.md against the manifest types: every
//! key of `Manifest`, `CommandSpec` and `Route` (as serde reads them, listed from
//! their schema) has a row in the guide's table, saying `required` for a key without
//! a default and otherwise the default itself, as deserialising a minimal manifest
//! gives it; and the table lists no key the types do not have.
use serde::Serialize;
use serde_json::Value;

use super::{CommandSpec, Manifest, Route};

fn guide() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/plugin-guide.md"
    ))
    .unwrap()
}

/// The reference table's rows: key and default column.
fn rows(guide: &str) -> Vec<(String, String)> {
    let start = guide
        .find("### Manifest reference")
        .expect("docs/plugin-guide.md has a `### Manifest reference` section");
    guide[start..]
        .lines()
        .skip_while(|l| !l.starts_with("| Key"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split(" | ").map(str::trim).collect();
            (
                cells[0].trim_matches('`').to_owned(),
                cells.last().copied().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// The serde fields of `T` and which of them are required, from its schema.
fn fields<T: utoipa::PartialSchema>() -> (Vec<String>, Vec<String>) {
    let schema = serde_json::to_value(T::schema()).unwrap();
    let names = schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let required = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    (names, required)
}

/// What the guide must say as the default of the optional `field` of `minimal`.
fn expected_default(minimal: &impl Serialize, field: &str) -> String {
    // Fields skipped when empty are lists.
    match serde_json::to_value(minimal).unwrap().get(field) {
        None => "`[]`".into(),
        Some(Value::Null) => "none".into(),
        Some(value) => format!("`{value}`"),
    }
}

#[test]
fn the_guides_manifest_reference_lists_every_key_with_its_default() {
    let guide = guide();
    let rows = rows(&guide);
    let manifest: Manifest = toml::from_str("name = \"x\"\nversion = \"1\"").unwrap();
    let command: CommandSpec = toml::from_str("verb = \"x\"").unwrap();
    let route: Route = toml::from_str("events = [\"push\"]").unwrap();
    let mut documented = Vec::new();
    let mut check = |prefix: &str,
                     (names, required): (Vec<String>, Vec<String>),
                     minimal: &dyn Fn(&str) -> String| {
        for name in names {
            let key = format!("{prefix}{name}");
            let row = rows.iter().find(|(k, _)| *k == key);
            let Some((_, default)) = row else {
                panic!("docs/plugin-guide.md's manifest reference has no row for `{key}`");
            };
            let want = if required.contains(&name) {
                "required".to_owned()
            } else {
                minimal(&name)
            };
            assert!(
                default.starts_with(&want),
                "`{key}`: the guide says the default is {default}, the type's is {want}"
            );
            documented.push(key);
        }
    };
    check("", fields::<Manifest>(), &|f| {
        expected_default(&manifest, f)
    });
    check("commands[].", fields::<CommandSpec>(), &|f| {
        expected_default(&command, f)
    });
    check("routes[].", fields::<Route>(), &|f| {
        expected_default(&route, f)
    });
    for (key, _) in &rows {
        assert!(
            documented.contains(key),
            "docs/plugin-guide.md's manifest reference has `{key}`, which the manifest does not"
        );
    }
}
