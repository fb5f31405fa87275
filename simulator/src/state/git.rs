//! A small git object store per repository: commits, flat trees (full path to blob id),
//! blobs, annotated tag objects, and refs. Enough for the contents, refs, tags,
//! branches, commits and merge endpoints; no packs, no diffs.
//!
//! Object ids are 40 hex digits like git's, derived from SHA-256 of the object, so they
//! are stable but not the ids `git` itself would compute; objects read back from a
//! repository's bare git repository (`crate::mirror`) keep git's own ids. Commits the
//! simulator only heard of (a pull request's head in a webhook, a SHA a client reports
//! a status on) are "adopted": recorded under their own id with an empty tree.

use std::collections::{BTreeMap, BTreeSet};

use base64::{engine::general_purpose::STANDARD, Engine as _};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How far [`Git::is_ancestor`] walks before giving up.
const MAX_WALK: usize = 100_000;

/// Whether `s` is a full 40-digit hexadecimal object id.
pub(crate) fn is_full_sha(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Author or committer of a commit, or the tagger of a tag.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Signature {
    pub name: String,
    pub email: String,
    pub date: DateTime<Utc>,
}

impl Signature {
    /// The identity GitHub uses for commits it makes itself.
    pub fn github(date: DateTime<Utc>) -> Self {
        Self {
            name: "GitHub".to_owned(),
            email: "noreply@github.com".to_owned(),
            date,
        }
    }
}

/// A commit object.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct GitCommit {
    pub sha: String,
    /// Id of the tree in [`Git::trees`].
    pub tree: String,
    pub parents: Vec<String>,
    pub message: String,
    pub author: Signature,
    pub committer: Signature,
}

/// An annotated tag object.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct GitTagObject {
    pub sha: String,
    pub tag: String,
    pub message: String,
    /// Id of the tagged object.
    pub object: String,
    /// `commit`, `tree`, `blob` or `tag`.
    pub object_type: String,
    pub tagger: Signature,
}

/// One entry of a directory listing.
#[derive(Debug, Clone)]
pub(crate) struct DirEntry {
    pub name: String,
    /// Full path from the repository root.
    pub path: String,
    /// Blob id for a file, a stable listing id for a directory.
    pub sha: String,
    pub is_dir: bool,
}

/// A repository's git data.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Git {
    /// Full ref names (`refs/heads/main`, `refs/tags/v1`) to object ids.
    pub refs: BTreeMap<String, String>,
    pub commits: BTreeMap<String, GitCommit>,
    /// Trees by id: every file's full path to its blob id.
    pub trees: BTreeMap<String, BTreeMap<String, String>>,
    /// Blob contents by id, base64-encoded.
    pub blobs: BTreeMap<String, String>,
    /// Annotated tag objects by id.
    pub tags: BTreeMap<String, GitTagObject>,
    /// The branches and tags of the repository's bare git repository as of the last
    /// time the two were brought in step (see `crate::mirror`); `None` until it
    /// exists. Refs that differ from it were changed by the REST API (when they
    /// differ in the state) or by a push (when they differ in the bare repository).
    #[serde(default)]
    pub mirrored: Option<BTreeMap<String, String>>,
}

/// A 40-hex-digit id for an object of `kind` with `body`.
fn object_id(kind: &str, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(format!("{kind} {}\0", body.len()).as_bytes());
    hasher.update(body);
    hasher
        .finalize()
        .iter()
        .take(20)
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Git {
    /// Creates `refs/heads/{branch}` with an empty "Initial commit" unless it exists;
    /// the commit's id depends only on `seed` and `date`.
    pub fn ensure_branch(&mut self, branch: &str, seed: &str, date: DateTime<Utc>) {
        let name = format!("refs/heads/{branch}");
        if self.refs.contains_key(&name) {
            return;
        }
        let tree = self.store_tree(BTreeMap::new());
        let who = Signature::github(date);
        let sha = self.store_commit(tree, Vec::new(), "Initial commit", &who, &who, seed);
        self.refs.insert(name, sha);
    }

    /// The commit a branch points at.
    pub fn branch(&self, name: &str) -> Option<&str> {
        self.refs
            .get(&format!("refs/heads/{name}"))
            .map(String::as_str)
    }

    /// The commit `r` names: a full ref (`refs/heads/x`), a branch, a tag (annotated
    /// tags are peeled), a ref without `refs/` (`heads/x`, as octocrab sends them), a
    /// known commit id, or an unambiguous prefix of one (7+ digits).
    pub fn resolve(&self, r: &str) -> Option<String> {
        let by_ref = if r.starts_with("refs/") {
            self.refs.get(r)
        } else {
            self.refs
                .get(&format!("refs/heads/{r}"))
                .or_else(|| self.refs.get(&format!("refs/tags/{r}")))
                .or_else(|| self.refs.get(&format!("refs/{r}")))
        };
        if let Some(id) = by_ref {
            return self.peel(id);
        }
        if self.commits.contains_key(r) {
            return Some(r.to_owned());
        }
        let lower = r.to_ascii_lowercase();
        if lower.len() < 7 || !lower.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let mut matches = self.commits.keys().filter(|k| k.starts_with(&lower));
        match (matches.next(), matches.next()) {
            (Some(one), None) => Some(one.clone()),
            _ => None,
        }
    }

    /// The commit a client reports on (a check run's `head_sha`, a status's SHA): a
    /// known commit, ref or prefix, or a full id the simulator then adopts.
    pub fn commit_for_write(&mut self, sha: &str, date: DateTime<Utc>) -> Option<String> {
        if let Some(found) = self.resolve(sha) {
            return Some(found);
        }
        self.adopt(sha, date);
        let sha = sha.to_ascii_lowercase();
        self.commits.contains_key(&sha).then_some(sha)
    }

    /// The commit a list of things on a ref is for: what `r` resolves to, or `r`
    /// itself when it is a full id the simulator has not seen (its lists are empty).
    pub fn commit_for_read(&self, r: &str) -> Option<String> {
        self.resolve(r)
            .or_else(|| is_full_sha(r).then(|| r.to_ascii_lowercase()))
    }

    /// Follows annotated tags from `id` to the commit they point at.
    fn peel(&self, id: &str) -> Option<String> {
        let mut id = id.to_owned();
        for _ in 0..16 {
            match self.tags.get(&id) {
                Some(tag) => id.clone_from(&tag.object),
                None => return self.commits.contains_key(&id).then_some(id),
            }
        }
        None
    }

    /// Records a commit known only by its id (with an empty tree) unless it is known;
    /// anything but a full 40-digit id is ignored.
    pub fn adopt(&mut self, sha: &str, date: DateTime<Utc>) {
        let sha = sha.to_ascii_lowercase();
        if !is_full_sha(&sha) || self.commits.contains_key(&sha) {
            return;
        }
        let tree = self.store_tree(BTreeMap::new());
        let who = Signature::github(date);
        self.commits.insert(
            sha.clone(),
            GitCommit {
                sha,
                tree,
                parents: Vec::new(),
                message: String::new(),
                author: who.clone(),
                committer: who,
            },
        );
    }

    /// Whether `sha` is an empty root commit: the made-up "Initial commit" of a branch
    /// never seen, or a commit only known by its id. A learned ref may replace it.
    pub fn is_placeholder(&self, sha: &str) -> bool {
        self.commits.get(sha).is_some_and(|c| {
            c.parents.is_empty() && self.trees.get(&c.tree).is_none_or(BTreeMap::is_empty)
        })
    }

    /// Every file of a commit: full path to blob id.
    pub fn files_at(&self, commit: &str) -> Option<&BTreeMap<String, String>> {
        self.commits
            .get(commit)
            .and_then(|c| self.trees.get(&c.tree))
    }

    /// A blob's bytes.
    pub fn blob(&self, id: &str) -> Option<Vec<u8>> {
        self.blobs.get(id).and_then(|b| STANDARD.decode(b).ok())
    }

    /// The entries directly inside directory `dir` ("" for the root) at `commit`,
    /// sorted by name; `None` when the directory does not exist (the root always does).
    pub fn list_dir(&self, commit: &str, dir: &str) -> Option<Vec<DirEntry>> {
        let files = self.files_at(commit)?;
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let mut dirs = BTreeMap::<String, Vec<(&str, &str)>>::new();
        let mut entries = Vec::new();
        for (path, blob) in files.iter().filter(|(p, _)| p.starts_with(&prefix)) {
            let rest = &path[prefix.len()..];
            match rest.split_once('/') {
                Some((name, _)) => dirs
                    .entry(name.to_owned())
                    .or_default()
                    .push((path.as_str(), blob.as_str())),
                None => entries.push(DirEntry {
                    name: rest.to_owned(),
                    path: path.clone(),
                    sha: blob.clone(),
                    is_dir: false,
                }),
            }
        }
        if entries.is_empty() && dirs.is_empty() && !dir.is_empty() {
            return None;
        }
        for (name, inside) in dirs {
            let listing: String = inside.iter().map(|(p, b)| format!("{p}\0{b}\n")).collect();
            entries.push(DirEntry {
                path: format!("{prefix}{name}"),
                name,
                sha: object_id("tree", listing.as_bytes()),
                is_dir: true,
            });
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Some(entries)
    }

    /// Commits a change of one file on `branch`: `Some(bytes)` writes it, `None`
    /// deletes it. Returns the new commit's id; `None` when the branch is unknown.
    /// `salt` keeps otherwise identical commits apart.
    pub fn commit_file(
        &mut self,
        branch: &str,
        path: &str,
        data: Option<&[u8]>,
        message: &str,
        author: &Signature,
        salt: u64,
    ) -> Option<String> {
        let parent = self.branch(branch)?.to_owned();
        let mut files = self.files_at(&parent).cloned().unwrap_or_default();
        match data {
            Some(bytes) => {
                let blob = self.store_blob(bytes);
                files.insert(path.to_owned(), blob);
            }
            None => {
                files.remove(path);
            }
        }
        let tree = self.store_tree(files);
        let sha = self.store_commit(
            tree,
            vec![parent],
            message,
            author,
            author,
            &salt.to_string(),
        );
        self.refs
            .insert(format!("refs/heads/{branch}"), sha.clone());
        Some(sha)
    }

    /// Merges commit `head` into `branch` with a merge commit whose tree is the
    /// branch's files overlaid with the head's; returns its id.
    pub fn merge(
        &mut self,
        branch: &str,
        head: &str,
        message: &str,
        author: &Signature,
        salt: u64,
    ) -> Option<String> {
        let base = self.branch(branch)?.to_owned();
        let mut files = self.files_at(&base).cloned().unwrap_or_default();
        if let Some(theirs) = self.files_at(head) {
            files.extend(theirs.iter().map(|(p, b)| (p.clone(), b.clone())));
        }
        let tree = self.store_tree(files);
        let parents = vec![base, head.to_owned()];
        let who = Signature::github(author.date);
        let sha = self.store_commit(tree, parents, message, author, &who, &salt.to_string());
        self.refs
            .insert(format!("refs/heads/{branch}"), sha.clone());
        Some(sha)
    }

    /// Whether `ancestor` is `descendant` or reachable from it through parents.
    pub fn is_ancestor(&self, ancestor: &str, descendant: &str) -> bool {
        let mut seen = BTreeSet::new();
        let mut todo = vec![descendant.to_owned()];
        while let Some(id) = todo.pop() {
            if id == ancestor {
                return true;
            }
            if seen.len() >= MAX_WALK || !seen.insert(id.clone()) {
                continue;
            }
            if let Some(commit) = self.commits.get(&id) {
                todo.extend(commit.parents.iter().cloned());
            }
        }
        false
    }

    /// Stores an annotated tag object and returns its id.
    pub fn store_tag(&mut self, mut tag: GitTagObject) -> String {
        let body = format!(
            "object {}\ntype {}\ntag {}\ntagger {} <{}> {}\n\n{}",
            tag.object,
            tag.object_type,
            tag.tag,
            tag.tagger.name,
            tag.tagger.email,
            tag.tagger.date.timestamp_nanos_opt().unwrap_or_default(),
            tag.message
        );
        let sha = object_id("tag", body.as_bytes());
        tag.sha.clone_from(&sha);
        self.tags.insert(sha.clone(), tag);
        sha
    }

    /// The type of object `id` (`commit` or `tag`), if known.
    pub fn object_type(&self, id: &str) -> Option<&'static str> {
        if self.commits.contains_key(id) {
            Some("commit")
        } else if self.tags.contains_key(id) {
            Some("tag")
        } else {
            None
        }
    }

    /// Stores a blob read from git under git's id for it, unless it is known.
    pub fn add_blob(&mut self, id: &str, data: &[u8]) {
        if !self.blobs.contains_key(id) {
            self.blobs.insert(id.to_owned(), STANDARD.encode(data));
        }
    }

    fn store_blob(&mut self, data: &[u8]) -> String {
        let id = object_id("blob", data);
        self.blobs
            .entry(id.clone())
            .or_insert_with(|| STANDARD.encode(data));
        id
    }

    fn store_tree(&mut self, files: BTreeMap<String, String>) -> String {
        let listing: String = files.iter().map(|(p, b)| format!("{p}\0{b}\n")).collect();
        let id = object_id("tree", listing.as_bytes());
        self.trees.entry(id.clone()).or_insert(files);
        id
    }

    fn store_commit(
        &mut self,
        tree: String,
        parents: Vec<String>,
        message: &str,
        author: &Signature,
        committer: &Signature,
        salt: &str,
    ) -> String {
        let stamp = |s: &Signature| {
            format!(
                "{} <{}> {}",
                s.name,
                s.email,
                s.date.timestamp_nanos_opt().unwrap_or_default()
            )
        };
        let body = format!(
            "tree {tree}\nparents {}\nauthor {}\ncommitter {}\nsalt {salt}\n\n{message}",
            parents.join(" "),
            stamp(author),
            stamp(committer),
        );
        let sha = object_id("commit", body.as_bytes());
        self.commits.insert(
            sha.clone(),
            GitCommit {
                sha: sha.clone(),
                tree,
                parents,
                message: message.to_owned(),
                author: author.clone(),
                committer: committer.clone(),
            },
        );
        sha
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn repo() -> Git {
        let mut git = Git::default();
        git.ensure_branch("main", "seed", Utc::now());
        git
    }

    #[test]
    fn the_initial_commit_is_the_same_for_the_same_seed() {
        let date = Utc::now();
        let (mut a, mut b) = (Git::default(), Git::default());
        a.ensure_branch("main", "o/r", date);
        b.ensure_branch("main", "o/r", date);
        assert_eq!(a.branch("main"), b.branch("main"));
        assert!(is_full_sha(a.branch("main").unwrap()));
    }

    #[test]
    fn committed_files_are_listed_by_directory_and_resolved_by_prefix() {
        let mut git = repo();
        let who = Signature::github(Utc::now());
        let first = git.branch("main").unwrap().to_owned();
        git.commit_file("main", "a/b.txt", Some(b"hi"), "add", &who, 1)
            .unwrap();
        let head = git
            .commit_file("main", "top.md", Some(b"x"), "top", &who, 2)
            .unwrap();
        let root = git.list_dir(&head, "").unwrap();
        let names: Vec<_> = root.iter().map(|e| (e.name.as_str(), e.is_dir)).collect();
        assert_eq!(names, [("a", true), ("top.md", false)]);
        assert_eq!(git.list_dir(&head, "a").unwrap()[0].path, "a/b.txt");
        assert!(git.list_dir(&head, "nope").is_none());
        assert_eq!(git.resolve(&head[..8]).as_deref(), Some(head.as_str()));
        assert!(git.is_ancestor(&first, &head));
        assert!(!git.is_ancestor(&head, &first));
    }

    #[test]
    fn annotated_tags_are_peeled_to_their_commit() {
        let mut git = repo();
        let head = git.branch("main").unwrap().to_owned();
        let tag = git.store_tag(GitTagObject {
            sha: String::new(),
            tag: "v1".to_owned(),
            message: "one".to_owned(),
            object: head.clone(),
            object_type: "commit".to_owned(),
            tagger: Signature::github(Utc::now()),
        });
        git.refs.insert("refs/tags/v1".to_owned(), tag);
        assert_eq!(git.resolve("v1").as_deref(), Some(head.as_str()));
        assert_eq!(git.resolve("refs/tags/v1").as_deref(), Some(head.as_str()));
    }
}
