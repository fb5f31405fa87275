//! The configuration form of a plugin, generated from its JSON schema: each
//! top-level property of an object schema becomes a field (strings and numbers as
//! inputs, booleans as checkboxes, enums as selects, arrays of strings as a
//! textarea with one item per line, anything else as JSON); a schema that is not an
//! object with properties falls back to one JSON textarea. The submitted form is
//! turned back into the configuration value, which the plugin service checks
//! against the schema.
use serde_json::{Map, Value};

/// What kind of input a property gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// `<input type=text>`.
    Text,
    /// `<input type=number>` (`integer` allows no fraction).
    Number {
        /// Whether it must be whole.
        integer: bool,
    },
    /// A checkbox.
    Boolean,
    /// A select of these values.
    Choice(Vec<String>),
    /// One string per line.
    Lines,
    /// JSON text.
    Json,
}

/// One field of the form.
#[derive(Debug, Clone)]
pub struct Field {
    /// The property name (the form field is `f.<name>`).
    pub name: String,
    /// What it is, from `title` or `description`.
    pub help: String,
    /// The input.
    pub kind: Kind,
    /// The current value as the input shows it.
    pub value: String,
    /// For a checkbox: whether it is ticked.
    pub checked: bool,
}

impl Field {
    /// The widget templates draw: `text`, `number`, `checkbox`, `select`, `lines` or
    /// `json`.
    #[must_use]
    pub fn widget(&self) -> &'static str {
        match self.kind {
            Kind::Text => "text",
            Kind::Number { .. } => "number",
            Kind::Boolean => "checkbox",
            Kind::Choice(_) => "select",
            Kind::Lines => "lines",
            Kind::Json => "json",
        }
    }

    /// The `step` of a number input.
    #[must_use]
    pub fn step(&self) -> &'static str {
        if self.kind == (Kind::Number { integer: true }) {
            "1"
        } else {
            "any"
        }
    }

    /// The options of a select.
    #[must_use]
    pub fn choices(&self) -> &[String] {
        match &self.kind {
            Kind::Choice(c) => c,
            _ => &[],
        }
    }

    /// Whether `option` is the selected choice.
    #[must_use]
    pub fn selected(&self, option: &str) -> bool {
        self.value == option
    }
}

/// The fields for `schema` showing `current`; `None` when the schema is not an
/// object with properties (use one JSON textarea then).
#[must_use]
pub fn fields(schema: Option<&Value>, current: &Value) -> Option<Vec<Field>> {
    let properties = schema?.get("properties")?.as_object()?;
    let mut out = Vec::new();
    for (name, prop) in properties {
        let now = current.get(name).unwrap_or(&Value::Null);
        let kind = kind_of(prop);
        let value = match (&kind, now) {
            (_, Value::Null) => String::new(),
            (Kind::Lines, Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("\n"),
            (Kind::Json, v) => serde_json::to_string_pretty(v).unwrap_or_default(),
            (_, Value::String(s)) => s.clone(),
            (_, v) => v.to_string(),
        };
        let help = prop
            .get("title")
            .or_else(|| prop.get("description"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        out.push(Field {
            name: name.clone(),
            help,
            checked: now.as_bool().unwrap_or(false),
            kind,
            value,
        });
    }
    Some(out)
}

fn kind_of(prop: &Value) -> Kind {
    if let Some(choices) = prop.get("enum").and_then(Value::as_array) {
        if choices.iter().all(Value::is_string) {
            return Kind::Choice(
                choices
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
            );
        }
    }
    match prop.get("type").and_then(Value::as_str) {
        Some("string") => Kind::Text,
        Some("integer") => Kind::Number { integer: true },
        Some("number") => Kind::Number { integer: false },
        Some("boolean") => Kind::Boolean,
        Some("array") if prop.pointer("/items/type").and_then(Value::as_str) == Some("string") => {
            Kind::Lines
        }
        _ => Kind::Json,
    }
}

/// The configuration a submitted form describes. `pairs` are the form's fields;
/// `f.NAME` carries a property, `json` the fallback textarea. Empty text and number
/// fields are left out (the plugin's default applies).
///
/// # Errors
/// A message naming the field that does not parse.
pub fn parse(schema: Option<&Value>, pairs: &[(String, String)]) -> Result<Value, String> {
    let get = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let Some(fields) = fields(schema, &Value::Null) else {
        let text = get("json").unwrap_or_default();
        return serde_json::from_str(text)
            .map_err(|e| format!("the configuration is not JSON: {e}"));
    };
    let mut config = Map::new();
    for field in fields {
        let raw = get(&format!("f.{}", field.name));
        let value = match (&field.kind, raw) {
            (Kind::Boolean, raw) => Some(Value::Bool(raw.is_some())),
            (_, None) => None,
            (_, Some(raw)) if raw.trim().is_empty() && field.kind != Kind::Lines => None,
            (Kind::Text | Kind::Choice(_), Some(raw)) => Some(Value::String(raw.to_owned())),
            (Kind::Number { integer: true }, Some(raw)) => Some(
                raw.trim()
                    .parse::<i64>()
                    .map(Value::from)
                    .map_err(|_| format!("`{}` must be a whole number", field.name))?,
            ),
            (Kind::Number { integer: false }, Some(raw)) => {
                let n = raw
                    .trim()
                    .parse::<f64>()
                    .map_err(|_| format!("`{}` must be a number", field.name))?;
                Some(
                    serde_json::Number::from_f64(n)
                        .map(Value::Number)
                        .ok_or_else(|| format!("`{}` must be a finite number", field.name))?,
                )
            }
            (Kind::Lines, Some(raw)) => Some(Value::Array(
                raw.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(|l| Value::String(l.to_owned()))
                    .collect(),
            )),
            (Kind::Json, Some(raw)) => Some(
                serde_json::from_str(raw)
                    .map_err(|e| format!("`{}` is not JSON: {e}", field.name))?,
            ),
        };
        if let Some(value) = value {
            config.insert(field.name, value);
        }
    }
    Ok(Value::Object(config))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({"type": "object", "properties": {
            "greeting": {"type": "string", "title": "Greeting"},
            "limit": {"type": "integer"},
            "ratio": {"type": "number"},
            "loud": {"type": "boolean"},
            "mode": {"enum": ["a", "b"]},
            "labels": {"type": "array", "items": {"type": "string"}},
            "nested": {"type": "object"}
        }})
    }

    #[test]
    fn each_kind_of_property_gets_its_input() {
        let current =
            json!({"greeting": "hi", "labels": ["x", "y"], "loud": true, "nested": {"a": 1}});
        let fields = fields(Some(&schema()), &current).unwrap();
        let by = |n: &str| fields.iter().find(|f| f.name == n).unwrap().clone();
        assert_eq!(by("greeting").kind, Kind::Text);
        assert_eq!(by("greeting").value, "hi");
        assert_eq!(by("greeting").help, "Greeting");
        assert_eq!(by("limit").kind, Kind::Number { integer: true });
        assert_eq!(by("mode").kind, Kind::Choice(vec!["a".into(), "b".into()]));
        assert_eq!(by("labels").value, "x\ny");
        assert!(by("loud").checked);
        assert_eq!(by("nested").kind, Kind::Json);
    }

    #[test]
    fn a_submitted_form_becomes_the_configuration() {
        let pairs: Vec<(String, String)> = [
            ("f.greeting", "hello"),
            ("f.limit", "3"),
            ("f.ratio", ""),
            ("f.mode", "b"),
            ("f.labels", "one\n\ntwo\n"),
            ("f.nested", "{\"k\": true}"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let config = parse(Some(&schema()), &pairs).unwrap();
        assert_eq!(
            config,
            json!({"greeting": "hello", "limit": 3, "mode": "b", "labels": ["one", "two"], "loud": false, "nested": {"k": true}})
        );
        let bad = vec![("f.limit".to_owned(), "many".to_owned())];
        assert!(parse(Some(&schema()), &bad).unwrap_err().contains("limit"));
    }

    #[test]
    fn a_schema_without_properties_falls_back_to_json() {
        assert!(fields(Some(&json!({"type": "array"})), &Value::Null).is_none());
        let pairs = vec![("json".to_owned(), "[1, 2]".to_owned())];
        assert_eq!(parse(None, &pairs).unwrap(), json!([1, 2]));
    }
}
