//! Reading request bodies: JSON parsing and typed access to fields, refusing what
//! GitHub refuses with its 400 ("Problems parsing JSON") or 422 ("Validation Failed"
//! naming the resource, the field and `missing_field` or `invalid`).

use serde_json::Value;

use crate::error::SimError;

/// Parses a request body as JSON; an empty body reads as `null`.
pub(crate) fn parse_json(body: &[u8]) -> Result<Value, SimError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(body).map_err(|_| SimError::BadJson)
}

/// A required, non-blank string `field` of a `resource`.
pub(crate) fn required_string(
    body: &Value,
    field: &str,
    resource: &str,
) -> Result<String, SimError> {
    match body.get(field) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
        None | Some(Value::Null) => Err(SimError::invalid(resource, "missing_field", field)),
        Some(_) => Err(SimError::invalid(resource, "invalid", field)),
    }
}

/// An optional string `field`: absent or `null` is `None`; anything but a string is a 422.
pub(crate) fn opt_string(
    body: &Value,
    field: &str,
    resource: &str,
) -> Result<Option<String>, SimError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(SimError::invalid(resource, "invalid", field)),
    }
}

/// A string `field` of an update, where `null` clears: absent is `None`, `null` is
/// `Some(None)`; anything but a string or `null` is a 422.
pub(crate) fn update_string(
    body: &Value,
    field: &str,
    resource: &str,
) -> Result<Option<Option<String>>, SimError> {
    match body.get(field) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
        Some(_) => Err(SimError::invalid(resource, "invalid", field)),
    }
}

/// An optional boolean `field`.
pub(crate) fn opt_bool(
    body: &Value,
    field: &str,
    resource: &str,
) -> Result<Option<bool>, SimError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(SimError::invalid(resource, "invalid", field)),
    }
}

/// An optional array of strings `field` (logins, label names...).
pub(crate) fn opt_strings(
    body: &Value,
    field: &str,
    resource: &str,
) -> Result<Option<Vec<String>>, SimError> {
    let invalid = || SimError::invalid(resource, "invalid", field);
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or_else(invalid))
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(invalid()),
    }
}
