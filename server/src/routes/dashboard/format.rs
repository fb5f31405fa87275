//! Small formatting helpers for templates: ages, times, pretty JSON.
use chrono::{DateTime, Utc};

/// `42 s`, `3 min`, `5 h 2 min`, `2 d 3 h`.
#[must_use]
pub fn age(d: chrono::Duration) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min", s / 60),
        3600..86_400 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        _ => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
    }
}

/// A time as `2026-11-21 05:21:01 UTC`.
#[must_use]
pub fn time(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// JSON text pretty-printed (or as it was when it does not parse). Templates escape
/// the result like any other text.
#[must_use]
pub fn pretty_json(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| text.to_owned())
}

/// Bytes as pretty JSON when they are JSON, else as (lossy) text.
#[must_use]
pub fn pretty_bytes(bytes: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(bytes)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| String::from_utf8_lossy(bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_naturally() {
        assert_eq!(age(chrono::Duration::seconds(5)), "5 s");
        assert_eq!(age(chrono::Duration::seconds(185)), "3 min");
        assert_eq!(age(chrono::Duration::seconds(3 * 3600 + 120)), "3 h 2 min");
        assert_eq!(age(chrono::Duration::seconds(-4)), "0 s");
    }

    #[test]
    fn json_is_pretty_printed_and_other_text_kept() {
        assert_eq!(pretty_json(r#"{"a":1}"#), "{\n  \"a\": 1\n}");
        assert_eq!(pretty_json("not json"), "not json");
    }
}
