//! The delivery bodies: a real GitHub `issues` payload from the corpus, made exactly
//! `--body-bytes` long (see [`crate::common::payload`]), in one variant per issue
//! number; `issue.number` is kept besides the routing fields.
//!
//! Variants differ only in `issue.number`: Gantry runs one job at a time per issue, so
//! deliveries spread over many issues let its job workers run side by side, as they
//! would for a busy repository.
use anyhow::{bail, Context};
use serde_json::Value;

use crate::common::payload::{keeps_routing_fields, padded_body};

/// Reads a corpus payload and builds `issues` padded bodies from it, for issue
/// numbers 1 to `issues`.
///
/// # Errors
/// When the file cannot be read or parsed, lacks a routing field, or as
/// [`padded_body`].
pub fn from_corpus_file(
    path: &std::path::Path,
    action: &str,
    size: usize,
    issues: usize,
) -> anyhow::Result<Vec<Vec<u8>>> {
    let text = std::fs::read(path)
        .with_context(|| format!("reading the corpus payload {}", path.display()))?;
    let value: Value =
        serde_json::from_slice(&text).with_context(|| format!("parsing {}", path.display()))?;
    if value.get("issue").is_none_or(|issue| !issue.is_object()) {
        bail!("{} has no `issue` object", path.display());
    }
    let mut bodies = Vec::with_capacity(issues);
    for number in 1..=issues.max(1) {
        let mut variant = value.clone();
        if let Some(issue) = variant.get_mut("issue").and_then(Value::as_object_mut) {
            issue.insert("number".into(), Value::from(number));
        }
        let body = padded_body(variant, action, size)?;
        if !keeps_routing_fields(&body) {
            bail!(
                "{} lacks `action`, `repository.name` or `repository.owner.login`",
                path.display()
            );
        }
        bodies.push(body);
    }
    Ok(bodies)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_real_corpus_payload_becomes_nine_kibibytes() {
        let path = std::path::Path::new(crate::common::DEFAULT_CORPUS)
            .join("webhooks/issues/opened.payload.json");
        if !path.exists() {
            return; // the shared corpus sits beside the repository; absent in a bare checkout
        }
        let bodies = from_corpus_file(&path, "opened", 9216, 3).unwrap();
        assert_eq!(bodies.len(), 3);
        for (n, body) in bodies.iter().enumerate() {
            assert_eq!(body.len(), 9216);
            let value: Value = serde_json::from_slice(body).unwrap();
            assert_eq!(value["issue"]["number"], n + 1);
            assert_eq!(value["action"], "opened");
        }
    }
}
