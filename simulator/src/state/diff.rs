//! Line diffs of two versions of a file, for the files of a comparison: lines added
//! and deleted (from a longest common subsequence of lines) and a unified patch.
//! Unlike git, the patch is one hunk spanning the whole file (every unchanged line
//! is context); a binary file (not UTF-8, or with a NUL) has counts of 0 and no
//! patch, as GitHub gives none.

/// What changed between two versions of a file.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct FileDiff {
    pub additions: u64,
    pub deletions: u64,
    /// The unified diff; `None` for a binary file.
    pub patch: Option<String>,
}

/// Files with more than this many line pairs are diffed as "all lines replaced"
/// instead of by their common lines, to bound the work.
const MAX_CELLS: usize = 4_000_000;

fn text(bytes: &[u8]) -> Option<&str> {
    if bytes.contains(&0) {
        return None;
    }
    std::str::from_utf8(bytes).ok()
}

/// One line of a patch: `' '` kept, `'-'` deleted, `'+'` added.
type Edit<'a> = (char, &'a str);

/// The edits turning `old` into `new`, in order.
fn edits<'a>(old: &[&'a str], new: &[&'a str]) -> Vec<Edit<'a>> {
    let (n, m) = (old.len(), new.len());
    if n.saturating_mul(m) > MAX_CELLS {
        let gone = old.iter().map(|l| ('-', *l));
        return gone.chain(new.iter().map(|l| ('+', *l))).collect();
    }
    // common[i][j]: the longest common subsequence of old[i..] and new[j..].
    let mut common = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            common[i][j] = if old[i] == new[j] {
                common[i + 1][j + 1] + 1
            } else {
                common[i + 1][j].max(common[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::with_capacity(n + m));
    while i < n || j < m {
        if i < n && j < m && old[i] == new[j] {
            out.push((' ', old[i]));
            i += 1;
            j += 1;
        } else if i < n && (j == m || common[i + 1][j] >= common[i][j + 1]) {
            // Deletions before additions, as git writes them.
            out.push(('-', old[i]));
            i += 1;
        } else {
            out.push(('+', new[j]));
            j += 1;
        }
    }
    out
}

/// The hunk header's range: `start,count`, with start 0 for an empty side.
fn range(count: usize) -> String {
    if count == 0 {
        "0,0".to_owned()
    } else {
        format!("1,{count}")
    }
}

/// What changed from `old` to `new` (an absent file is empty).
pub(crate) fn diff(old: &[u8], new: &[u8]) -> FileDiff {
    let (Some(old), Some(new)) = (text(old), text(new)) else {
        return FileDiff {
            additions: 0,
            deletions: 0,
            patch: None,
        };
    };
    let old: Vec<&str> = old.lines().collect();
    let new: Vec<&str> = new.lines().collect();
    let edits = edits(&old, &new);
    let count = |kind: char| edits.iter().filter(|(k, _)| *k == kind).count() as u64;
    let (additions, deletions) = (count('+'), count('-'));
    let patch = (additions + deletions > 0).then(|| {
        let mut patch = format!("@@ -{} +{} @@", range(old.len()), range(new.len()));
        for (kind, line) in &edits {
            patch.push('\n');
            patch.push(*kind);
            patch.push_str(line);
        }
        patch
    });
    FileDiff {
        additions,
        deletions,
        patch,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_line_is_one_deletion_and_one_addition_around_kept_lines() {
        let d = diff(b"one\ntwo\nthree\n", b"one\n2\nthree\nfour\n");
        assert_eq!((d.additions, d.deletions), (2, 1));
        assert_eq!(
            d.patch.as_deref(),
            Some("@@ -1,3 +1,4 @@\n one\n-two\n+2\n three\n+four")
        );
    }

    #[test]
    fn a_new_file_is_all_additions_and_a_binary_one_has_no_patch() {
        let d = diff(b"", b"a\nb\n");
        assert_eq!(d.patch.as_deref(), Some("@@ -0,0 +1,2 @@\n+a\n+b"));
        let bin = diff(b"", b"\x89PNG\x00\x01");
        assert_eq!((bin.additions, bin.deletions, bin.patch), (0, 0, None));
    }
}
