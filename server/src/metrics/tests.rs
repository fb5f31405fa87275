//! The metrics that `deploy/` names exist: every `gantry_*` name in the alerting
//! rules and the Grafana dashboard is one this process registers, so renaming a
//! metric cannot silently blind an alert or a panel.
use super::Metrics;

/// The `gantry_*` names in `text`, a histogram's `_bucket`, `_sum` and `_count`
/// series named by their histogram.
fn named_in(text: &str, known: &[String]) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("gantry_") {
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        let name = &tail[..end];
        let base = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| {
                name.strip_suffix(s)
                    .filter(|b| known.iter().any(|k| k == b))
            })
            .unwrap_or(name);
        names.push(base.to_owned());
        rest = &tail[end..];
    }
    names
}

#[test]
fn every_metric_deploy_names_is_registered() {
    let metrics = Metrics::new().unwrap();
    let known = metrics.names();
    assert!(known.iter().any(|n| n == "gantry_plugins_crash_disabled"));
    for file in ["prometheus/alerts.yaml", "grafana/gantry.json"] {
        let path = format!("{}/../deploy/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap();
        let named = named_in(&text, known);
        assert!(named.len() >= 5, "{file} names only {named:?}");
        for name in named {
            assert!(
                known.contains(&name),
                "{file} names {name}, which Gantry does not export (it exports {known:?})"
            );
        }
    }
}
