//! `extends`: a repository's file names another repository whose own
//! `.github/gantry.yml` (its default branch) is the base it is merged over, and so
//! on, to [`MAX_DEPTH`] bases. A cycle, a base with no file, one that cannot be read
//! or does not parse is an error naming the chain, reported at the `extends` line of
//! the repository's file. A base outside the repository's own installation of
//! Gantry's App is "not readable" (`github::BaseReader` never asks for it with
//! another installation's token). The reading itself is the caller's (a closure),
//! so this is tested without GitHub.
use std::future::Future;

use super::file::{self, GantryFile, Problem};

/// The most bases one chain may have (the repository's file, then up to three).
pub const MAX_DEPTH: usize = 3;

/// One file of a chain: the repository it is read from, and its content.
#[derive(Debug, Clone)]
pub struct Layer {
    /// `owner/name` as written (the repository's own first).
    pub repo: String,
    /// The file.
    pub file: GantryFile,
}

/// What reading a base's file gave: its text, or nothing (no such file or
/// repository), or why it could not be read.
pub type Read = Result<Option<String>, Unread>;

/// Why a base's file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unread {
    /// The base is outside what Gantry may read for this repository (another
    /// installation's, or one Gantry's App is not installed on): it reads as
    /// missing, and is never asked for with another installation's token.
    NotReadable(String),
    /// GitHub failed or refused.
    Failed(String),
}

/// The chain starting at `first` (read from `repo`), deepest base last.
///
/// # Errors
/// One problem at the `extends` line of `first`, naming the chain.
pub async fn load<F, Fut>(repo: &str, first: GantryFile, mut read: F) -> Result<Vec<Layer>, Problem>
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = Read>,
{
    let line = first.extends.as_ref().map(|(_, line)| *line);
    let mut next = first.extends.as_ref().map(|(base, _)| base.clone());
    let mut chain = vec![Layer {
        repo: repo.to_owned(),
        file: first,
    }];
    while let Some(base) = next.take() {
        let names = chain.iter().map(|l| l.repo.as_str()).collect::<Vec<_>>();
        let path = format!("{} -> {base}", names.join(" -> "));
        if names.iter().any(|n| n.eq_ignore_ascii_case(&base)) {
            return Err(Problem::at(
                line,
                format!("`extends` makes a cycle: {path}"),
            ));
        }
        if chain.len() > MAX_DEPTH {
            return Err(Problem::at(
                line,
                format!("`extends` goes deeper than {MAX_DEPTH} bases: {path}"),
            ));
        }
        let text = match read(base.clone()).await {
            Ok(Some(text)) => text,
            Ok(None) => {
                return Err(Problem::at(
                    line,
                    format!(
                        "`extends`: {base} has no {} on its default branch (chain: {path})",
                        file::PATH
                    ),
                ))
            }
            Err(Unread::NotReadable(why)) => {
                return Err(Problem::at(
                    line,
                    format!("`extends`: base {base} not readable: {why} (chain: {path})"),
                ))
            }
            Err(Unread::Failed(why)) => {
                return Err(Problem::at(
                    line,
                    format!(
                        "`extends`: {base}'s {} could not be read: {why} (chain: {path})",
                        file::PATH
                    ),
                ))
            }
        };
        let parsed = file::parse(&text).map_err(|problems| {
            let all = problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ");
            Problem::at(
                line,
                format!("`extends`: {base}'s {}: {all} (chain: {path})", file::PATH),
            )
        })?;
        next = parsed.extends.as_ref().map(|(b, _)| b.clone());
        chain.push(Layer {
            repo: base,
            file: parsed,
        });
    }
    Ok(chain)
}
