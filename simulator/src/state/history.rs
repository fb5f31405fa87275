//! Walking a repository's commit graph (`Git`): the commits one commit has and
//! another has not, oldest first, and a merge base, for a pull request's commits
//! and for comparing two refs. Walks stop after [`MAX_WALK`] commits.

use std::collections::{BTreeSet, VecDeque};

use super::git::Git;

/// How many commits a walk visits at most.
const MAX_WALK: usize = 100_000;

impl Git {
    /// Every known commit reachable from `from` through parents, itself included.
    pub fn reachable(&self, from: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.to_owned()];
        while let Some(id) = todo.pop() {
            if seen.len() >= MAX_WALK || !self.commits.contains_key(&id) {
                continue;
            }
            if seen.insert(id.clone()) {
                if let Some(commit) = self.commits.get(&id) {
                    todo.extend(commit.parents.iter().cloned());
                }
            }
        }
        seen
    }

    /// The known commits reachable from `head` but not from `base`, parents before
    /// their children (oldest first, as GitHub lists a pull request's commits).
    pub fn commits_between(&self, base: &str, head: &str) -> Vec<String> {
        let excluded = self.reachable(base);
        let mut out = Vec::new();
        let mut done = BTreeSet::new();
        // Depth first, a commit emitted once all its parents are.
        let mut todo = vec![(head.to_owned(), false)];
        while let Some((id, expanded)) = todo.pop() {
            if excluded.contains(&id) || done.contains(&id) || out.len() >= MAX_WALK {
                continue;
            }
            let Some(commit) = self.commits.get(&id) else {
                continue;
            };
            if expanded {
                done.insert(id.clone());
                out.push(id);
            } else {
                todo.push((id, true));
                for parent in commit.parents.iter().rev() {
                    todo.push((parent.clone(), false));
                }
            }
        }
        out
    }

    /// The nearest commit reachable from both `a` and `b` (breadth first from `b`),
    /// if any.
    pub fn merge_base(&self, a: &str, b: &str) -> Option<String> {
        let from_a = self.reachable(a);
        let mut seen = BTreeSet::new();
        let mut todo = VecDeque::from([b.to_owned()]);
        while let Some(id) = todo.pop_front() {
            if from_a.contains(&id) {
                return Some(id);
            }
            if seen.len() >= MAX_WALK || !seen.insert(id.clone()) {
                continue;
            }
            if let Some(commit) = self.commits.get(&id) {
                todo.extend(commit.parents.iter().cloned());
            }
        }
        None
    }
}
