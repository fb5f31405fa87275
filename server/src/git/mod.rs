//! git in the host: working copies cloned from GitHub with git2 into directories the
//! host manages (bounded in size, deleted when done), authenticated with the
//! installation token over HTTPS with certificate checks on. A push held for
//! approval leaves no directory behind: its commits travel in the database as a pack
//! (`held`) and are pushed from a scratch repository when approved. Plugins reach it
//! only through the WIT `git` interface (`wasm_host::host::git`).
mod held;
mod workspace;

pub use held::{push_packed, Leave, PackedPush};
pub use workspace::{branch_refspecs, Remote, Workspace, BOT_EMAIL, BOT_NAME};

/// Why a git operation failed.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// The repository or ref does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// Authentication failed or the server refused a ref.
    #[error("rejected: {0}")]
    Rejected(String),
    /// The network or server failed; a later retry may work.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The arguments were not valid (a path outside the repository, nothing to commit).
    #[error("invalid: {0}")]
    Invalid(String),
    /// The workspace went over its disk cap.
    #[error("too large: {0}")]
    TooLarge(String),
    /// Local disk failed.
    #[error("disk: {0}")]
    Io(String),
}

impl GitError {
    /// Sorts a git2 error by what the caller can do about it.
    #[must_use]
    pub fn from_git(err: git2::Error) -> Self {
        use git2::{ErrorClass, ErrorCode};
        let message = err.message().to_owned();
        match (err.code(), err.class()) {
            (ErrorCode::NotFound, _) | (_, ErrorClass::Reference)
                if message.contains("not found") || err.code() == ErrorCode::NotFound =>
            {
                Self::NotFound(message)
            }
            (ErrorCode::Auth | ErrorCode::Certificate, _) => Self::Rejected(message),
            (
                ErrorCode::Exists
                | ErrorCode::InvalidSpec
                | ErrorCode::Invalid
                | ErrorCode::NotFastForward,
                _,
            ) => Self::Invalid(message),
            (_, ErrorClass::Net | ErrorClass::Http | ErrorClass::Ssl)
                if message.contains("401")
                    || message.contains("403")
                    || message.contains("refused") =>
            {
                Self::Rejected(message)
            }
            (_, ErrorClass::Net | ErrorClass::Http | ErrorClass::Ssl | ErrorClass::Os) => {
                Self::Unavailable(message)
            }
            _ => Self::Invalid(message),
        }
    }
}
