//! `docs/performance.md` as a single benchmark writes it: one `## ` section per
//! benchmark, replaced in place on a rerun so the other sections (and hand-written
//! ones) stay as they are. (`report` writes the whole file itself.)
use anyhow::Context;

/// What a new `docs/performance.md` starts with.
const PREAMBLE: &str = "# Performance\n\nMeasurements of Gantry. `cargo build --bin gantry && cargo run -p gantry-bench -- report \
     --out docs/performance.md` writes the whole file; each benchmark run alone \
     (`cargo run -p gantry-bench -- <benchmark> --out docs/performance.md`) replaces its own section.\n";

/// `doc` with the section under `heading` replaced by `section` (up to the next
/// `## ` heading), or `section` appended when there is none.
#[must_use]
pub fn replace_section(doc: &str, heading: &str, section: &str) -> String {
    let lines: Vec<&str> = doc.lines().collect();
    let Some(start) = lines.iter().position(|l| l.trim_end() == heading) else {
        let mut out = doc.trim_end().to_owned();
        out.push_str("\n\n");
        out.push_str(section);
        return out;
    };
    let end = lines
        .iter()
        .skip(start + 1)
        .position(|l| l.starts_with("## "))
        .map_or(lines.len(), |i| start + 1 + i);
    let mut out = lines[..start].join("\n");
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(section);
    if end < lines.len() {
        out.push('\n');
        out.push_str(&lines[end..].join("\n"));
        out.push('\n');
    }
    out
}

/// Writes `section` (which starts with `heading`) into the markdown file at `path`,
/// replacing the old section of that heading; creates the file when missing.
///
/// # Errors
/// When the file cannot be read or written.
pub fn write_section(path: &std::path::Path, heading: &str, section: &str) -> anyhow::Result<()> {
    let doc = match std::fs::read_to_string(path) {
        Ok(doc) => doc,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => PREAMBLE.to_owned(),
        Err(err) => return Err(err).with_context(|| format!("reading {}", path.display())),
    };
    std::fs::write(path, replace_section(&doc, heading, section))
        .with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADING: &str = "## Intake (TESTPLAN P1)";

    #[test]
    fn the_section_is_replaced_in_place_and_other_sections_stay() {
        let doc = format!(
            "# Performance\n\nintro\n\n{HEADING}\n\nold table\n\n## Plugins (P2)\n\nkeep me\n"
        );
        let new = replace_section(&doc, HEADING, &format!("{HEADING}\n\nnew table\n"));
        assert_eq!(
            new,
            format!(
                "# Performance\n\nintro\n\n{HEADING}\n\nnew table\n\n## Plugins (P2)\n\nkeep me\n"
            )
        );
        assert_eq!(
            replace_section(&new, HEADING, &format!("{HEADING}\n\nnew table\n")),
            new,
            "rewriting is stable"
        );
        let appended = replace_section(
            "# Performance\n\nintro\n",
            HEADING,
            &format!("{HEADING}\n\nt\n"),
        );
        assert_eq!(
            appended,
            format!("# Performance\n\nintro\n\n{HEADING}\n\nt\n")
        );
    }

    #[test]
    fn subsections_belong_to_the_section() {
        let doc = format!("{HEADING}\n\n### Durability\n\nold\n");
        assert_eq!(
            replace_section(&doc, HEADING, &format!("{HEADING}\n\nfresh\n")),
            format!("{HEADING}\n\nfresh\n")
        );
    }

    #[test]
    fn only_the_named_heading_is_replaced() {
        let doc = format!("# P\n\n{HEADING}\n\nintake\n\n## Reading (by hand)\n\nmine\n");
        let new = replace_section(
            &doc,
            "## Plugin invocation (TESTPLAN P2)",
            "## Plugin invocation (TESTPLAN P2)\n\nplugins\n",
        );
        assert_eq!(
            new,
            format!(
                "{}\n\n## Plugin invocation (TESTPLAN P2)\n\nplugins\n",
                doc.trim_end()
            )
        );
        let again = replace_section(
            &new,
            "## Plugin invocation (TESTPLAN P2)",
            "## Plugin invocation (TESTPLAN P2)\n\nnewer\n",
        );
        assert!(
            again.contains(&format!("{HEADING}\n\nintake\n"))
                && again.contains("mine")
                && again.ends_with("newer\n"),
            "{again}"
        );
    }

    #[test]
    fn a_missing_file_starts_with_the_preamble() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("performance.md");
        write_section(&path, HEADING, &format!("{HEADING}\n\nt\n")).unwrap();
        let doc = std::fs::read_to_string(&path).unwrap();
        assert!(
            doc.starts_with("# Performance\n\n") && doc.ends_with(&format!("{HEADING}\n\nt\n")),
            "{doc}"
        );
    }
}
