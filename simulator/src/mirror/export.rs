//! Writing what the REST API changed into a bare repository: the branches and tags
//! whose target differs from what the bare repository had at the last sync, with the
//! commits (and their files) and annotated tags it lacks, through `git fast-import`,
//! then the refs themselves through `git update-ref --stdin`.
//!
//! The simulator's commits keep their files, message, author, committer and dates;
//! each is written with every file (its trees are flat), mode `100644`. Parents the
//! state does not know are left out, and a tag pointing at something other than a
//! commit is not written.

use std::collections::{BTreeMap, BTreeSet};

use super::{git_in, GitError};
use crate::{
    state::{Git, GitCommit, GitTagObject, Signature},
    Simulator,
};

/// How many commits one export writes at most.
const MAX_COMMITS: usize = 10_000;
/// The ref fast-import builds commits on; deleted afterwards.
const SCRATCH_REF: &str = "refs/gantry-simulator/export";

/// Writes into the bare repository at `dir` the branches and tags the state changed
/// since the last sync; `true` when there were any (the state must then be read back).
pub(super) fn sync(
    sim: &Simulator,
    owner: &str,
    repo: &str,
    dir: &std::path::Path,
) -> Result<bool, GitError> {
    let (changes, candidates) = {
        let state = sim.lock();
        let Some(known) = state.repo(owner, repo) else {
            return Ok(false);
        };
        let changes = ref_changes(&known.git);
        let targets: Vec<String> = changes.iter().filter_map(|(_, id)| id.clone()).collect();
        (changes, reachable(&known.git, &targets))
    };
    if changes.is_empty() {
        return Ok(false);
    }
    let in_bare = existing(dir, &candidates)?;
    let plan = {
        let state = sim.lock();
        let Some(known) = state.repo(owner, repo) else {
            return Ok(false);
        };
        Plan::new(&known.git, changes, in_bare)
    };
    plan.write(dir)?;
    Ok(true)
}

/// The heads and tags of `refs`.
pub(super) fn served_refs(refs: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    refs.iter()
        .filter(|(name, _)| name.starts_with("refs/heads/") || name.starts_with("refs/tags/"))
        .map(|(name, id)| (name.clone(), id.clone()))
        .collect()
}

/// The heads and tags that differ from the last sync: `Some(id)` to set, `None` to
/// delete.
fn ref_changes(git: &Git) -> Vec<(String, Option<String>)> {
    let current = served_refs(&git.refs);
    let mirrored = git.mirrored.clone().unwrap_or_default();
    let mut changes: Vec<(String, Option<String>)> = current
        .iter()
        .filter(|(name, id)| mirrored.get(*name) != Some(*id))
        .map(|(name, id)| (name.clone(), Some(id.clone())))
        .collect();
    changes.extend(
        mirrored
            .keys()
            .filter(|name| !current.contains_key(*name))
            .map(|name| (name.clone(), None)),
    );
    changes
}

/// The ids of `targets` and of every commit the state reaches from them through tags
/// and parents (at most [`MAX_COMMITS`]).
fn reachable(git: &Git, targets: &[String]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<String> = targets.to_vec();
    while let Some(id) = todo.pop() {
        if seen.len() >= MAX_COMMITS || !seen.insert(id.clone()) {
            continue;
        }
        if let Some(tag) = git.tags.get(&id) {
            todo.push(tag.object.clone());
        }
        if let Some(commit) = git.commits.get(&id) {
            todo.extend(commit.parents.iter().cloned());
        }
    }
    seen.into_iter().collect()
}

/// Which of `ids` the bare repository at `dir` already has.
fn existing(dir: &std::path::Path, ids: &[String]) -> Result<BTreeSet<String>, GitError> {
    let input: String = ids.iter().map(|id| format!("{id}\n")).collect();
    let out = git_in(
        dir,
        &["cat-file", "--batch-check=%(objectname)"],
        input.as_bytes(),
    )?;
    Ok(String::from_utf8_lossy(&out)
        .lines()
        .filter(|line| !line.ends_with(" missing"))
        .map(str::to_owned)
        .collect())
}

/// What one export writes.
#[derive(Debug, Default)]
struct Plan {
    /// Commits the bare repository lacks, parents first.
    commits: Vec<GitCommit>,
    /// The files of those commits' trees, by tree id: path to blob id.
    trees: BTreeMap<String, BTreeMap<String, String>>,
    /// The blobs those files need.
    blobs: BTreeMap<String, Vec<u8>>,
    /// Annotated tags to write: the name under `refs/tags/` and the object.
    tags: Vec<(String, GitTagObject)>,
    /// Refs to point at an object (a state id, or one the bare repository has).
    updates: Vec<(String, String)>,
    /// Refs to delete.
    deletes: Vec<String>,
    /// The ids, among those the plan refers to, that the bare repository has.
    in_bare: BTreeSet<String>,
}

impl Plan {
    /// The plan for `changes`, given the ids the bare repository already has.
    fn new(git: &Git, changes: Vec<(String, Option<String>)>, in_bare: BTreeSet<String>) -> Self {
        let mut plan = Self::default();
        let mut wanted = Vec::new();
        for (name, target) in changes {
            let Some(id) = target else {
                plan.deletes.push(name);
                continue;
            };
            let tag = git.tags.get(&id).filter(|_| !in_bare.contains(&id));
            match (name.strip_prefix("refs/tags/"), tag) {
                (Some(short), Some(tag)) if git.commits.contains_key(&tag.object) => {
                    wanted.push(tag.object.clone());
                    plan.tags.push((short.to_owned(), tag.clone()));
                }
                (_, Some(_)) => tracing::warn!(name, "simulator cannot export a tag of a tag"),
                (_, None) if in_bare.contains(&id) || git.commits.contains_key(&id) => {
                    wanted.push(id.clone());
                    plan.updates.push((name, id));
                }
                (_, None) => tracing::warn!(name, id, "simulator ref names an unknown object"),
            }
        }
        plan.commits = missing_commits(git, &wanted, &in_bare);
        plan.in_bare = in_bare;
        for commit in &plan.commits {
            let files = git.trees.get(&commit.tree).cloned().unwrap_or_default();
            for blob in files.values() {
                if !plan.blobs.contains_key(blob) {
                    plan.blobs
                        .insert(blob.clone(), git.blob(blob).unwrap_or_default());
                }
            }
            plan.trees.insert(commit.tree.clone(), files);
        }
        plan
    }

    /// Writes the objects, then moves the refs.
    fn write(&self, dir: &std::path::Path) -> Result<(), GitError> {
        let mut ids = BTreeMap::new();
        if !self.commits.is_empty() || !self.tags.is_empty() {
            let marks = dir.join("gantry-simulator-export.marks");
            let marks_arg = format!("--export-marks={}", marks.display());
            let (stream, commit_marks) = self.stream();
            let result = git_in(
                dir,
                &["fast-import", "--quiet", "--force", &marks_arg],
                &stream,
            );
            let written = std::fs::read_to_string(&marks).unwrap_or_default();
            let _ = std::fs::remove_file(&marks);
            result?;
            let by_mark: BTreeMap<&str, &str> = written
                .lines()
                .filter_map(|line| line.split_once(' '))
                .collect();
            for (mark, id) in commit_marks {
                if let Some(git_id) = by_mark.get(format!(":{mark}").as_str()) {
                    ids.insert(id, (*git_id).to_owned());
                }
            }
        }
        let mut commands = String::new();
        for (name, id) in &self.updates {
            let id = ids.get(id).unwrap_or(id);
            commands.push_str(&format!("update {name} {id}\n"));
        }
        for name in &self.deletes {
            commands.push_str(&format!("delete {name}\n"));
        }
        commands.push_str(&format!("delete {SCRATCH_REF}\n"));
        git_in(dir, &["update-ref", "--stdin"], commands.as_bytes())?;
        Ok(())
    }

    /// The fast-import stream, and the mark given to each commit's state id.
    fn stream(&self) -> (Vec<u8>, Vec<(usize, String)>) {
        let mut out = Vec::new();
        let mut next = 0usize;
        let mut mark = || {
            next += 1;
            next
        };
        let mut blob_marks = BTreeMap::new();
        for (id, data) in &self.blobs {
            let m = mark();
            out.extend_from_slice(format!("blob\nmark :{m}\n").as_bytes());
            data_block(&mut out, data);
            blob_marks.insert(id.as_str(), m);
        }
        let mut commit_marks: BTreeMap<&str, usize> = BTreeMap::new();
        for commit in &self.commits {
            let m = mark();
            out.extend_from_slice(
                format!("reset {SCRATCH_REF}\ncommit {SCRATCH_REF}\nmark :{m}\n").as_bytes(),
            );
            out.extend_from_slice(format!("author {}\n", identity(&commit.author)).as_bytes());
            out.extend_from_slice(
                format!("committer {}\n", identity(&commit.committer)).as_bytes(),
            );
            data_block(&mut out, commit.message.as_bytes());
            let parents = commit
                .parents
                .iter()
                .filter_map(|p| commitish(&commit_marks, p, &self.in_bare));
            for (i, reference) in parents.enumerate() {
                let verb = if i == 0 { "from" } else { "merge" };
                out.extend_from_slice(format!("{verb} {reference}\n").as_bytes());
            }
            out.extend_from_slice(b"deleteall\n");
            for (path, blob) in self.trees.get(&commit.tree).into_iter().flatten() {
                let Some(blob_mark) = blob_marks.get(blob.as_str()) else {
                    continue;
                };
                if valid_path(path) {
                    out.extend_from_slice(
                        format!("M 100644 :{blob_mark} {}\n", quote_path(path)).as_bytes(),
                    );
                }
            }
            out.push(b'\n');
            commit_marks.insert(&commit.sha, m);
        }
        for (name, tag) in &self.tags {
            let Some(reference) = commitish(&commit_marks, &tag.object, &self.in_bare) else {
                continue;
            };
            out.extend_from_slice(format!("tag {name}\nfrom {reference}\n").as_bytes());
            out.extend_from_slice(format!("tagger {}\n", identity(&tag.tagger)).as_bytes());
            data_block(&mut out, tag.message.as_bytes());
        }
        let marks = commit_marks
            .into_iter()
            .map(|(id, m)| (m, id.to_owned()))
            .collect();
        (out, marks)
    }
}

/// How the stream names commit `id`: its mark when written earlier in this stream,
/// its id when the bare repository has it; `None` otherwise.
fn commitish(
    marks: &BTreeMap<&str, usize>,
    id: &str,
    in_bare: &BTreeSet<String>,
) -> Option<String> {
    match marks.get(id) {
        Some(m) => Some(format!(":{m}")),
        None => in_bare.contains(id).then(|| id.to_owned()),
    }
}

/// The commits reachable from `wanted` that the bare repository lacks, parents first;
/// parents known to neither are dropped from the commits.
fn missing_commits(git: &Git, wanted: &[String], in_bare: &BTreeSet<String>) -> Vec<GitCommit> {
    let mut order = Vec::new();
    let mut done = BTreeSet::new();
    for start in wanted {
        let mut stack = vec![(start.clone(), false)];
        while let Some((id, expanded)) = stack.pop() {
            if in_bare.contains(&id) || done.contains(&id) || order.len() >= MAX_COMMITS {
                continue;
            }
            let Some(commit) = git.commits.get(&id) else {
                continue;
            };
            if expanded {
                done.insert(id.clone());
                let mut commit = commit.clone();
                commit
                    .parents
                    .retain(|p| in_bare.contains(p) || git.commits.contains_key(p));
                order.push(commit);
                continue;
            }
            stack.push((id.clone(), true));
            for parent in commit.parents.iter().rev() {
                if !done.contains(parent) {
                    stack.push((parent.clone(), false));
                }
            }
        }
    }
    order
}

/// `data <length>` and the bytes, as fast-import reads them.
fn data_block(out: &mut Vec<u8>, data: &[u8]) {
    out.extend_from_slice(format!("data {}\n", data.len()).as_bytes());
    out.extend_from_slice(data);
    out.push(b'\n');
}

/// `Name <email> <seconds> +0000`, without the characters that would break the line.
fn identity(s: &Signature) -> String {
    let clean = |text: &str| -> String {
        text.chars()
            .filter(|c| !matches!(c, '<' | '>' | '\n'))
            .collect::<String>()
            .trim()
            .to_owned()
    };
    let name = Some(clean(&s.name))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "Unknown".to_owned());
    format!("{name} <{}> {} +0000", clean(&s.email), s.date.timestamp())
}

/// Whether git accepts `path` as a file in a tree.
fn valid_path(path: &str) -> bool {
    !path.is_empty()
        && path
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != ".." && part != ".git")
}

/// `path` as fast-import reads it: C-quoted when it holds a newline or starts with a
/// quote.
fn quote_path(path: &str) -> String {
    if !path.contains('\n') && !path.starts_with('"') {
        return path.to_owned();
    }
    let escaped = path
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n");
    format!("\"{escaped}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_paths_are_quoted_or_left_out() {
        assert_eq!(quote_path("a b/c.txt"), "a b/c.txt");
        assert_eq!(quote_path("\"x\ny"), "\"\\\"x\\ny\"");
        assert!(valid_path("src/lib.rs"));
        assert!(!valid_path("a//b") && !valid_path("../x") && !valid_path(".git/config"));
    }
}
