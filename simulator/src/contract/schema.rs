//! A validator for the part of JSON Schema GitHub's OpenAPI description uses: `type`,
//! OpenAPI 3.0's `nullable`, `required`, `properties`, `additionalProperties`,
//! `items`, `enum`, `minLength`/`maxLength`, `minItems`/`maxItems`,
//! `minProperties`/`maxProperties`, `minimum`/`maximum`, `oneOf`, `anyOf`, `allOf`, and
//! `$ref` into the extract's shared `schemas`.
//!
//! Two readings are deliberate: `null` is valid only where `nullable` is true (or the
//! `enum` lists it), as OpenAPI 3.0 says; and `oneOf` asks for at least one matching
//! branch, like `anyOf`, because GitHub's description has overlapping branches (a label
//! given as a string or an object) that a strict "exactly one" would refuse.

use serde_json::{Map, Value};

/// One way a value breaks its schema: where (`field`, a dotted path such as
/// `output.summary` or `labels[2]`, empty for the whole body), GitHub's error code
/// (`missing_field` or `invalid`) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: String,
    pub code: &'static str,
    pub detail: String,
}

/// Checks `value` against `schema`, resolving `$ref`s in `schemas`; every problem
/// found, none when it is valid.
pub(crate) fn validate(
    schema: &Value,
    value: &Value,
    schemas: &Map<String, Value>,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    check(schema, value, schemas, "", &mut problems);
    problems
}

fn invalid(field: &str, detail: String, out: &mut Vec<Problem>) {
    out.push(Problem {
        field: field.to_owned(),
        code: "invalid",
        detail,
    });
}

/// The schema a `{"$ref": name}` stands for (itself otherwise).
fn resolve<'a>(schema: &'a Value, schemas: &'a Map<String, Value>) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(name) => schemas.get(name).unwrap_or(&Value::Null),
        None => schema,
    }
}

fn child(field: &str, name: &str) -> String {
    if field.is_empty() {
        name.to_owned()
    } else {
        format!("{field}.{name}")
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn has_type(value: &Value, wanted: &str) -> bool {
    match wanted {
        "number" => value.is_number(),
        // 3.0 and 3 are the same integer to JSON Schema.
        "integer" => {
            value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        other => type_name(value) == other,
    }
}

fn check(
    schema: &Value,
    value: &Value,
    schemas: &Map<String, Value>,
    field: &str,
    out: &mut Vec<Problem>,
) {
    let schema = resolve(schema, schemas);
    let Some(rules) = schema.as_object() else {
        return;
    };
    let nullable = rules.get("nullable").and_then(Value::as_bool) == Some(true);
    let enum_has_null = rules
        .get("enum")
        .and_then(Value::as_array)
        .is_some_and(|e| e.contains(&Value::Null));
    if value.is_null() {
        if nullable || enum_has_null {
            return;
        }
        // A schema with no type and no combinator says nothing; `null` passes it.
        let constrained = [
            "type",
            "properties",
            "items",
            "enum",
            "oneOf",
            "anyOf",
            "allOf",
        ]
        .iter()
        .any(|k| rules.contains_key(*k));
        if !constrained {
            return;
        }
        // The combinators' branches may allow null themselves.
        if !rules.contains_key("type") && !rules.contains_key("enum") {
            check_combinators(rules, value, schemas, field, out);
            return;
        }
        invalid(
            field,
            "is null, which the schema does not allow".to_owned(),
            out,
        );
        return;
    }
    if let Some(wanted) = rules.get("type").and_then(Value::as_str) {
        if !has_type(value, wanted) {
            invalid(
                field,
                format!("is a {}, not a {wanted}", type_name(value)),
                out,
            );
            return;
        }
    }
    if let Some(options) = rules.get("enum").and_then(Value::as_array) {
        if !options.contains(value) {
            invalid(
                field,
                format!("{value} is not one of {}", Value::Array(options.clone())),
                out,
            );
        }
    }
    match value {
        Value::String(s) => check_string(rules, s, field, out),
        Value::Array(items) => check_array(rules, items, schemas, field, out),
        Value::Object(map) => check_object(rules, map, schemas, field, out),
        Value::Number(n) => check_number(rules, n, field, out),
        _ => {}
    }
    check_combinators(rules, value, schemas, field, out);
}

fn limit(rules: &Map<String, Value>, key: &str) -> Option<u64> {
    rules.get(key).and_then(Value::as_u64)
}

fn check_string(rules: &Map<String, Value>, s: &str, field: &str, out: &mut Vec<Problem>) {
    let length = s.chars().count() as u64;
    if let Some(max) = limit(rules, "maxLength").filter(|max| length > *max) {
        invalid(
            field,
            format!("is {length} characters long, more than {max}"),
            out,
        );
    }
    if let Some(min) = limit(rules, "minLength").filter(|min| length < *min) {
        invalid(
            field,
            format!("is {length} characters long, fewer than {min}"),
            out,
        );
    }
}

fn check_number(
    rules: &Map<String, Value>,
    n: &serde_json::Number,
    field: &str,
    out: &mut Vec<Problem>,
) {
    let Some(n) = n.as_f64() else { return };
    if let Some(max) = rules
        .get("maximum")
        .and_then(Value::as_f64)
        .filter(|max| n > *max)
    {
        invalid(field, format!("{n} is more than {max}"), out);
    }
    if let Some(min) = rules
        .get("minimum")
        .and_then(Value::as_f64)
        .filter(|min| n < *min)
    {
        invalid(field, format!("{n} is less than {min}"), out);
    }
}

fn check_array(
    rules: &Map<String, Value>,
    items: &[Value],
    schemas: &Map<String, Value>,
    field: &str,
    out: &mut Vec<Problem>,
) {
    let count = items.len() as u64;
    if let Some(max) = limit(rules, "maxItems").filter(|max| count > *max) {
        invalid(field, format!("has {count} items, more than {max}"), out);
    }
    if let Some(min) = limit(rules, "minItems").filter(|min| count < *min) {
        invalid(field, format!("has {count} items, fewer than {min}"), out);
    }
    if let Some(item) = rules.get("items") {
        for (index, value) in items.iter().enumerate() {
            check(item, value, schemas, &format!("{field}[{index}]"), out);
        }
    }
}

fn check_object(
    rules: &Map<String, Value>,
    map: &Map<String, Value>,
    schemas: &Map<String, Value>,
    field: &str,
    out: &mut Vec<Problem>,
) {
    let count = map.len() as u64;
    if let Some(max) = limit(rules, "maxProperties").filter(|max| count > *max) {
        invalid(field, format!("has {count} keys, more than {max}"), out);
    }
    if let Some(min) = limit(rules, "minProperties").filter(|min| count < *min) {
        invalid(field, format!("has {count} keys, fewer than {min}"), out);
    }
    for name in rules
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(name) = name.as_str() else { continue };
        if !map.contains_key(name) {
            out.push(Problem {
                field: child(field, name),
                code: "missing_field",
                detail: "is required".to_owned(),
            });
        }
    }
    let properties = rules.get("properties").and_then(Value::as_object);
    for (name, value) in map {
        match properties.and_then(|p| p.get(name)) {
            Some(sub) => check(sub, value, schemas, &child(field, name), out),
            None => match rules.get("additionalProperties") {
                Some(Value::Bool(false)) => {
                    invalid(&child(field, name), "is not a known key".to_owned(), out);
                }
                Some(sub @ Value::Object(_)) => {
                    check(sub, value, schemas, &child(field, name), out)
                }
                _ => {}
            },
        }
    }
}

fn check_combinators(
    rules: &Map<String, Value>,
    value: &Value,
    schemas: &Map<String, Value>,
    field: &str,
    out: &mut Vec<Problem>,
) {
    if let Some(all) = rules.get("allOf").and_then(Value::as_array) {
        for sub in all {
            check(sub, value, schemas, field, out);
        }
    }
    for key in ["oneOf", "anyOf"] {
        let Some(branches) = rules.get(key).and_then(Value::as_array) else {
            continue;
        };
        let mut best: Option<Vec<Problem>> = None;
        for sub in branches {
            let problems = validate_at(sub, value, schemas, field);
            if problems.is_empty() {
                best = None;
                break;
            }
            if best.as_ref().is_none_or(|b| problems.len() < b.len()) {
                best = Some(problems);
            }
        }
        // No branch matches: report the closest one's problems.
        if let Some(problems) = best {
            out.extend(problems);
        }
    }
}

fn validate_at(
    schema: &Value,
    value: &Value,
    schemas: &Map<String, Value>,
    field: &str,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    check(schema, value, schemas, field, &mut problems);
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn problems(schema: Value, value: Value) -> Vec<(String, &'static str)> {
        validate(&schema, &value, &Map::new())
            .into_iter()
            .map(|p| (p.field, p.code))
            .collect()
    }

    #[test]
    fn null_needs_nullable() {
        let schema = json!({"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string", "nullable": true}}});
        assert_eq!(problems(schema.clone(), json!({"b": null})), vec![]);
        assert_eq!(
            problems(schema, json!({"a": null})),
            vec![("a".to_owned(), "invalid")]
        );
    }

    #[test]
    fn required_types_and_limits() {
        let schema = json!({"type": "object", "required": ["name"], "properties": {
            "name": {"type": "string", "maxLength": 3},
            "tags": {"type": "array", "maxItems": 1, "items": {"type": "string", "enum": ["x"]}},
            "n": {"type": "integer", "maximum": 2}}});
        assert_eq!(
            problems(
                schema.clone(),
                json!({"name": "abc", "tags": ["x"], "n": 2})
            ),
            vec![]
        );
        let found = problems(schema, json!({"tags": ["y", "x"], "n": 2.5}));
        assert!(
            found.contains(&("name".to_owned(), "missing_field")),
            "{found:?}"
        );
        assert!(found.contains(&("tags".to_owned(), "invalid")), "{found:?}");
        assert!(
            found.contains(&("tags[0]".to_owned(), "invalid")),
            "{found:?}"
        );
        assert!(found.contains(&("n".to_owned(), "invalid")), "{found:?}");
    }

    #[test]
    fn combinators_and_refs() {
        let mut schemas = Map::new();
        schemas.insert("s".to_owned(), json!({"type": "string"}));
        let schema = json!({"oneOf": [{"$ref": "s"}, {"type": "integer"}]});
        assert!(validate(&schema, &json!(3), &schemas).is_empty());
        assert!(validate(&schema, &json!("x"), &schemas).is_empty());
        assert_eq!(validate(&schema, &json!(true), &schemas).len(), 1);
        let all = json!({"allOf": [{"type": "object", "required": ["a"]}, {"required": ["b"]}]});
        assert_eq!(
            problems(all, json!({"a": 1})),
            vec![("b".to_owned(), "missing_field")]
        );
        let closed = json!({"type": "object", "properties": {}, "additionalProperties": false});
        assert_eq!(
            problems(closed, json!({"x": 1})),
            vec![("x".to_owned(), "invalid")]
        );
    }
}
