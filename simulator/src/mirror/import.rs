//! Reading a bare repository back into the state: its branches and tags, and the
//! commits (with their files), blobs and annotated tags the state lacks, under git's
//! own ids. A ref the bare repository changed since the last sync (a push, or an
//! export) wins over the state's, a ref it deleted is deleted, and an open pull
//! request whose head was the old commit of a moved branch follows the branch, as on
//! GitHub.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeZone as _, Utc};

use super::{bare_refs, git_in, GitError};
use crate::{
    state::{GitCommit, GitTagObject, Signature, State},
    Simulator,
};

/// How many new commits one sync reads at most.
const MAX_COMMITS: usize = 10_000;

/// Objects read from the bare repository.
#[derive(Debug, Default)]
struct Fetched {
    commits: Vec<GitCommit>,
    /// Files of the new commits' trees, by tree id: path to blob id.
    trees: BTreeMap<String, BTreeMap<String, String>>,
    blobs: Vec<(String, Vec<u8>)>,
    tags: Vec<GitTagObject>,
}

/// Reads what the bare repository at `dir` changed since the last sync into the state.
pub(super) fn sync(
    sim: &Simulator,
    owner: &str,
    repo: &str,
    dir: &std::path::Path,
) -> Result<(), GitError> {
    let refs = bare_refs(dir)?;
    let (changed, exclude) = {
        let state = sim.lock();
        let Some(known) = state.repo(owner, repo) else {
            return Ok(());
        };
        let mirrored = known.git.mirrored.clone().unwrap_or_default();
        let changed: Vec<String> = refs
            .iter()
            .filter(|(name, id)| mirrored.get(*name) != Some(*id))
            .map(|(_, id)| id.clone())
            .collect();
        (changed, mirrored.into_values().collect::<Vec<_>>())
    };
    let fetched = if changed.is_empty() {
        Fetched::default()
    } else {
        fetch(sim, owner, repo, dir, &changed, &exclude)?
    };
    apply(&mut sim.lock(), owner, repo, refs, fetched);
    Ok(())
}

/// Reads the commits reachable from `changed` but not from `exclude`, the annotated
/// tags among `changed`, and the trees and blobs the state lacks.
fn fetch(
    sim: &Simulator,
    owner: &str,
    repo: &str,
    dir: &std::path::Path,
    changed: &[String],
    exclude: &[String],
) -> Result<Fetched, GitError> {
    let mut input: String = changed.iter().map(|id| format!("{id}\n")).collect();
    input.extend(exclude.iter().map(|id| format!("^{id}\n")));
    let max = format!("--max-count={MAX_COMMITS}");
    let listed = git_in(
        dir,
        &[
            "rev-list",
            "--topo-order",
            "--reverse",
            "--ignore-missing",
            &max,
            "--stdin",
        ],
        input.as_bytes(),
    )?;
    let listed: Vec<String> = String::from_utf8_lossy(&listed)
        .lines()
        .map(str::to_owned)
        .collect();
    let (new_commits, new_tags) = {
        let state = sim.lock();
        let Some(known) = state.repo(owner, repo) else {
            return Ok(Fetched::default());
        };
        let commits: Vec<String> = listed
            .into_iter()
            .filter(|id| !known.git.commits.contains_key(id))
            .collect();
        let tags: Vec<String> = changed
            .iter()
            .filter(|id| !known.git.tags.contains_key(*id) && !known.git.commits.contains_key(*id))
            .cloned()
            .collect();
        (commits, tags)
    };
    let mut fetched = Fetched::default();
    for (id, kind, body) in read_objects(dir, &new_commits)? {
        if kind == "commit" {
            fetched.commits.push(parse_commit(&id, &body));
        }
    }
    for (id, kind, body) in read_objects(dir, &new_tags)? {
        if kind == "tag" {
            fetched.tags.push(parse_tag(&id, &body));
        }
    }
    let known_trees: BTreeSet<String> = {
        let state = sim.lock();
        state
            .repo(owner, repo)
            .map(|r| r.git.trees.keys().cloned().collect())
            .unwrap_or_default()
    };
    for commit in &fetched.commits {
        if !known_trees.contains(&commit.tree) && !fetched.trees.contains_key(&commit.tree) {
            fetched
                .trees
                .insert(commit.tree.clone(), list_tree(dir, &commit.tree)?);
        }
    }
    let wanted: Vec<String> = {
        let state = sim.lock();
        let blobs = state.repo(owner, repo).map(|r| &r.git.blobs);
        let ids: BTreeSet<&String> = fetched.trees.values().flat_map(|f| f.values()).collect();
        ids.into_iter()
            .filter(|id| blobs.is_none_or(|b| !b.contains_key(*id)))
            .cloned()
            .collect()
    };
    fetched.blobs = read_objects(dir, &wanted)?
        .into_iter()
        .filter(|(_, kind, _)| kind == "blob")
        .map(|(id, _, body)| (id, body))
        .collect();
    Ok(fetched)
}

/// Stores what was read and takes over the bare repository's refs.
fn apply(
    state: &mut State,
    owner: &str,
    repo: &str,
    refs: BTreeMap<String, String>,
    fetched: Fetched,
) {
    let Some(known) = state.repo_mut(owner, repo) else {
        return;
    };
    let git = &mut known.git;
    for (id, body) in &fetched.blobs {
        git.add_blob(id, body);
    }
    for (id, files) in fetched.trees {
        git.trees.entry(id).or_insert(files);
    }
    for commit in fetched.commits {
        git.commits.entry(commit.sha.clone()).or_insert(commit);
    }
    for tag in fetched.tags {
        git.tags.entry(tag.sha.clone()).or_insert(tag);
    }
    let mirrored = git.mirrored.take().unwrap_or_default();
    let mut moved = Vec::new();
    for (name, id) in &refs {
        if mirrored.get(name) == Some(id) {
            continue;
        }
        let old = git.refs.insert(name.clone(), id.clone());
        if let (Some(branch), Some(old)) = (name.strip_prefix("refs/heads/"), old) {
            moved.push((branch.to_owned(), old, id.clone()));
        }
    }
    for name in mirrored.keys().filter(|name| !refs.contains_key(*name)) {
        git.refs.remove(name);
    }
    git.mirrored = Some(refs);
    let pulls = known
        .issues
        .values_mut()
        .filter(|issue| issue.open)
        .filter_map(|issue| issue.pull.as_mut());
    for pull in pulls {
        if let Some((_, _, new)) = moved
            .iter()
            .find(|(branch, old, _)| pull.head_ref == *branch && pull.head_sha == *old)
        {
            pull.head_sha.clone_from(new);
        }
    }
}

/// Reads objects with `git cat-file --batch`: id, type and content of each one found.
fn read_objects(
    dir: &std::path::Path,
    ids: &[String],
) -> Result<Vec<(String, String, Vec<u8>)>, GitError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let input: String = ids.iter().map(|id| format!("{id}\n")).collect();
    let out = git_in(dir, &["cat-file", "--batch"], input.as_bytes())?;
    let mut objects = Vec::new();
    let mut rest = out.as_slice();
    while let Some(end) = rest.iter().position(|b| *b == b'\n') {
        let header = String::from_utf8_lossy(&rest[..end]).into_owned();
        rest = &rest[end + 1..];
        let mut fields = header.split(' ');
        let (Some(id), Some(kind), Some(size)) = (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let Ok(size) = size.parse::<usize>() else {
            continue;
        };
        let Some(body) = rest.get(..size) else {
            return Err(GitError::new("git cat-file answered a short object"));
        };
        objects.push((id.to_owned(), kind.to_owned(), body.to_vec()));
        rest = rest.get(size + 1..).unwrap_or_default();
    }
    Ok(objects)
}

/// Every file of a tree: path to blob id (submodules are left out).
fn list_tree(dir: &std::path::Path, tree: &str) -> Result<BTreeMap<String, String>, GitError> {
    let out = git_in(dir, &["ls-tree", "-r", "-z", tree], b"")?;
    Ok(out
        .split(|b| *b == 0)
        .filter_map(|entry| {
            let entry = String::from_utf8_lossy(entry);
            let (meta, path) = entry.split_once('\t')?;
            let mut fields = meta.split(' ');
            let (_mode, kind, id) = (fields.next()?, fields.next()?, fields.next()?);
            (kind == "blob").then(|| (path.to_owned(), id.to_owned()))
        })
        .collect())
}

/// The header lines and the message of a commit or tag object.
fn split_object(body: &[u8]) -> (Vec<(String, String)>, String) {
    let text = String::from_utf8_lossy(body);
    let (head, message) = text.split_once("\n\n").unwrap_or((&text, ""));
    let fields = head
        .lines()
        .filter(|line| !line.starts_with(' '))
        .filter_map(|line| line.split_once(' '))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let message = message.strip_suffix('\n').unwrap_or(message).to_owned();
    (fields, message)
}

/// A commit object as the state keeps it.
fn parse_commit(id: &str, body: &[u8]) -> GitCommit {
    let (fields, message) = split_object(body);
    let field = |key: &str| {
        fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    };
    GitCommit {
        sha: id.to_owned(),
        tree: field("tree").to_owned(),
        parents: fields
            .iter()
            .filter(|(k, _)| k == "parent")
            .map(|(_, v)| v.clone())
            .collect(),
        message,
        author: signature(field("author")),
        committer: signature(field("committer")),
    }
}

/// An annotated tag object as the state keeps it.
fn parse_tag(id: &str, body: &[u8]) -> GitTagObject {
    let (fields, message) = split_object(body);
    let field = |key: &str| {
        fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    GitTagObject {
        sha: id.to_owned(),
        tag: field("tag"),
        message,
        object: field("object"),
        object_type: field("type"),
        tagger: signature(&field("tagger")),
    }
}

/// `Name <email> <seconds> <zone>` as a signature (the zone is dropped: dates are
/// kept in UTC).
fn signature(line: &str) -> Signature {
    let (who, when) = line.rsplit_once('>').unwrap_or((line, ""));
    let (name, email) = who.split_once('<').unwrap_or((who, ""));
    let date: DateTime<Utc> = when
        .split_whitespace()
        .next()
        .and_then(|secs| secs.parse::<i64>().ok())
        .and_then(|secs| Utc.timestamp_opt(secs, 0).single())
        .unwrap_or_default();
    Signature {
        name: name.trim().to_owned(),
        email: email.trim().to_owned(),
        date,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commit_object_is_read_with_its_parents_people_and_message() {
        let body = b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\
parent 1111111111111111111111111111111111111111\n\
parent 2222222222222222222222222222222222222222\n\
author Mona Lisa <mona@example.com> 1700000000 +0200\n\
committer GitHub <noreply@github.com> 1700000060 +0000\n\
gpgsig -----BEGIN PGP SIGNATURE-----\n \n -----END PGP SIGNATURE-----\n\
\n\
Merge things\n\nWith a body\n";
        let commit = parse_commit("abc", body);
        assert_eq!(commit.parents.len(), 2);
        assert_eq!(commit.author.name, "Mona Lisa");
        assert_eq!(commit.author.email, "mona@example.com");
        assert_eq!(commit.author.date.timestamp(), 1_700_000_000);
        assert_eq!(commit.committer.date.timestamp(), 1_700_000_060);
        assert_eq!(commit.message, "Merge things\n\nWith a body");
    }

    #[test]
    fn a_tag_object_is_read() {
        let body = b"object 1111111111111111111111111111111111111111\ntype commit\ntag v1.0.0\n\
tagger Mona <m@e.com> 1700000000 +0000\n\nVersion one\n";
        let tag = parse_tag("t", body);
        assert_eq!(
            (tag.tag.as_str(), tag.object_type.as_str()),
            ("v1.0.0", "commit")
        );
        assert_eq!(tag.message, "Version one");
    }
}
