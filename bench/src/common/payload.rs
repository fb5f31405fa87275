//! Webhook bodies of an exact size from a real payload: re-serialised compactly;
//! when that is still too long, `*_url` fields (hypermedia links nothing in Gantry's
//! routing reads) are removed, longest first, until it fits; a string field then pads
//! it to the exact size. The routing fields (`action`, `repository.name`,
//! `repository.owner.login`) are kept, so Gantry parses and routes the body as it
//! would a real one.
use anyhow::bail;
use serde_json::Value;

/// The field that pads the body; `x` needs no JSON escaping, so one character is one byte.
pub const PAD_FIELD: &str = "gantry_bench_padding";

/// `payload` as compact JSON with `action` set, exactly `size` bytes long.
///
/// # Errors
/// When `payload` is not a JSON object, or cannot be made as small as `size` without
/// losing a routing field.
pub fn padded_body(payload: Value, action: &str, size: usize) -> anyhow::Result<Vec<u8>> {
    let Value::Object(mut object) = payload else {
        bail!("the corpus payload is not a JSON object")
    };
    object.insert("action".into(), Value::String(action.into()));
    object.insert(PAD_FIELD.into(), Value::String(String::new()));
    let mut root = Value::Object(object);
    loop {
        let unpadded = serde_json::to_vec(&root)?;
        if unpadded.len() <= size {
            let missing = size - unpadded.len();
            if let Value::Object(object) = &mut root {
                object.insert(PAD_FIELD.into(), Value::String("x".repeat(missing)));
            }
            let body = serde_json::to_vec(&root)?;
            if body.len() != size {
                bail!("padding produced {} bytes instead of {size}", body.len());
            }
            return Ok(body);
        }
        if !remove_longest_url(&mut root) {
            bail!("--body-bytes {size} is too small: the payload needs at least {} bytes without its links", unpadded.len());
        }
    }
}

/// Removes the `*_url` string field with the longest value anywhere in `value`;
/// false when none is left.
fn remove_longest_url(value: &mut Value) -> bool {
    let mut best: Option<(usize, Vec<String>)> = None;
    find_longest_url(value, &mut Vec::new(), &mut best);
    let Some((_, path)) = best else { return false };
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let mut node = value;
    for key in parents {
        match node.get_mut(key) {
            Some(child) => node = child,
            None => return false,
        }
    }
    node.as_object_mut().and_then(|o| o.remove(last)).is_some()
}

fn find_longest_url(
    value: &Value,
    path: &mut Vec<String>,
    best: &mut Option<(usize, Vec<String>)>,
) {
    let Value::Object(object) = value else { return };
    for (key, child) in object {
        path.push(key.clone());
        match child {
            Value::String(s)
                if key.ends_with("_url") && best.as_ref().is_none_or(|(len, _)| s.len() > *len) =>
            {
                *best = Some((s.len(), path.clone()));
            }
            Value::Object(_) => find_longest_url(child, path, best),
            _ => {}
        }
        path.pop();
    }
}

/// Whether `body` still carries what routing needs.
#[must_use]
pub fn keeps_routing_fields(body: &[u8]) -> bool {
    let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(body) else {
        return false;
    };
    let repo = object.get("repository");
    object.get("action").is_some_and(Value::is_string)
        && repo
            .and_then(|r| r.get("name"))
            .is_some_and(Value::is_string)
        && repo
            .and_then(|r| r.get("owner"))
            .and_then(|o| o.get("login"))
            .is_some_and(Value::is_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Value {
        json!({
            "action": "edited",
            "issue": {"number": 1, "url": "https://api.github.com/repos/o/r/issues/1", "comments_url": "https://api.github.com/repos/o/r/issues/1/comments"},
            "repository": {"name": "r", "owner": {"login": "o", "avatar_url": "https://avatars.githubusercontent.com/u/1?v=4"}, "full_name": "o/r"},
            "sender": {"login": "o", "html_url": "https://github.com/o"}
        })
    }

    #[test]
    fn the_body_has_exactly_the_requested_size_and_is_valid_json() {
        for size in [400, 401, 1024, 9216, 100_000] {
            let body = padded_body(sample(), "opened", size).unwrap();
            assert_eq!(body.len(), size);
            let value: Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(value["action"], "opened");
            assert_eq!(value["issue"]["number"], 1);
            assert!(keeps_routing_fields(&body));
        }
    }

    #[test]
    fn links_are_dropped_longest_first_to_fit_and_routing_fields_survive() {
        let full = serde_json::to_vec(&sample()).unwrap().len();
        let body = padded_body(sample(), "opened", full - 20).unwrap();
        let value: Value = serde_json::from_slice(&body).unwrap();
        assert!(
            value["issue"].get("comments_url").is_none(),
            "the longest link goes first"
        );
        assert_eq!(value["sender"]["html_url"], "https://github.com/o");
        assert!(keeps_routing_fields(&body));
    }

    #[test]
    fn a_size_below_the_essential_fields_is_a_clear_error() {
        let err = padded_body(sample(), "opened", 50).unwrap_err();
        assert!(err.to_string().contains("too small"), "{err}");
        assert!(padded_body(json!([1, 2]), "opened", 100).is_err());
    }
}
