//! Conversions between the v0.1 types and the current ones: [`Newer`] takes a v0.1
//! argument to the current version, [`Older`] takes a current answer back to v0.1,
//! and [`Settle`] turns a current write's `written` answer into v0.1's value, or
//! its `pending(approval id)` error when the write is held.
//! Most records and enums of v0.1 have the same fields and cases in the current
//! version, so each is converted field by field (the macros below); plain values,
//! lists, options and resource handles pass through. Where v0.2 answers more
//! (a pull request, its files), the answer is cut back to v0.1's shape.
use wasmtime::component::Resource;

use super::bindings::gantry::plugin as old;
use crate::wasm_host::bindings::gantry::plugin as new;
use crate::wasm_host::host::git::GitWorkspace;
use crate::wasm_host::host::secrets::SecretHandle;

/// A v0.1 value as the current version's.
pub(super) trait Newer {
    /// The current version's type.
    type Out;
    /// Converts.
    fn newer(self) -> Self::Out;
}

/// A current value as v0.1's.
pub(super) trait Older {
    /// The v0.1 type.
    type Out;
    /// Converts.
    fn older(self) -> Self::Out;
}

/// Values that are the same type in every version.
macro_rules! same {
    ($($t:ty),* $(,)?) => {$(
        impl Newer for $t {
            type Out = $t;
            fn newer(self) -> $t { self }
        }
        impl Older for $t {
            type Out = $t;
            fn older(self) -> $t { self }
        }
    )*};
}

same!(
    (),
    u8,
    u16,
    u32,
    u64,
    f64,
    bool,
    String,
    Resource<SecretHandle>,
    Resource<GitWorkspace>,
);

impl<T: Newer> Newer for Vec<T> {
    type Out = Vec<T::Out>;
    fn newer(self) -> Self::Out {
        self.into_iter().map(Newer::newer).collect()
    }
}

impl<T: Older> Older for Vec<T> {
    type Out = Vec<T::Out>;
    fn older(self) -> Self::Out {
        self.into_iter().map(Older::older).collect()
    }
}

impl<T: Newer> Newer for Option<T> {
    type Out = Option<T::Out>;
    fn newer(self) -> Self::Out {
        self.map(Newer::newer)
    }
}

impl<T: Older> Older for Option<T> {
    type Out = Option<T::Out>;
    fn older(self) -> Self::Out {
        self.map(Older::older)
    }
}

impl<A: Older, B: Older> Older for (A, B) {
    type Out = (A::Out, B::Out);
    fn older(self) -> Self::Out {
        (self.0.older(), self.1.older())
    }
}

impl<T: Older> Older for Result<T, new::types::HostError> {
    type Out = Result<T::Out, old::types::HostError>;
    fn older(self) -> Self::Out {
        self.map(Older::older).map_err(Older::older)
    }
}

/// A record with the same fields in both versions, converted each way.
macro_rules! record {
    ($iface:ident :: $name:ident { $($field:ident),* $(,)? }) => {
        impl Newer for old::$iface::$name {
            type Out = new::$iface::$name;
            fn newer(self) -> Self::Out {
                new::$iface::$name { $($field: self.$field.newer()),* }
            }
        }
        impl Older for new::$iface::$name {
            type Out = old::$iface::$name;
            fn older(self) -> Self::Out {
                old::$iface::$name { $($field: self.$field.older()),* }
            }
        }
    };
}

/// An enum or a variant (each case with at most one payload) with the same cases in
/// both versions, converted each way.
macro_rules! cases {
    ($iface:ident :: $name:ident { $($case:ident),* $(,)? } $({ $($with:ident),* $(,)? })?) => {
        impl Newer for old::$iface::$name {
            type Out = new::$iface::$name;
            fn newer(self) -> Self::Out {
                match self {
                    $(old::$iface::$name::$case => new::$iface::$name::$case,)*
                    $($(old::$iface::$name::$with(v) => new::$iface::$name::$with(v.newer()),)*)?
                }
            }
        }
        impl Older for new::$iface::$name {
            type Out = old::$iface::$name;
            fn older(self) -> Self::Out {
                match self {
                    $(new::$iface::$name::$case => old::$iface::$name::$case,)*
                    $($(new::$iface::$name::$with(v) => old::$iface::$name::$with(v.older()),)*)?
                }
            }
        }
    };
}

record!(types::Repo { owner, name });
cases!(types::Permission {
    Admin,
    Maintain,
    Write,
    Triage,
    Read,
    None
});

record!(github::Issue {
    number,
    title,
    body,
    state,
    author,
    labels,
    assignees,
    milestone,
    is_pull_request
});
/// v0.2's pull request carries more (line counts, commits, base SHA, mergeable
/// state); v0.1's keeps its fields.
impl Older for new::github::PullRequest {
    type Out = old::github::PullRequest;
    fn older(self) -> Self::Out {
        old::github::PullRequest {
            number: self.number,
            title: self.title,
            state: self.state,
            author: self.author,
            draft: self.draft,
            merged: self.merged,
            head_sha: self.head_sha,
            head_ref: self.head_ref,
            base_ref: self.base_ref,
            from_fork: self.from_fork,
            requested_reviewers: self.requested_reviewers,
        }
    }
}

/// v0.1 lists a pull request's files by name only.
impl Older for new::github::PullRequestFile {
    type Out = String;
    fn older(self) -> String {
        self.filename
    }
}
cases!(github::IssueState { Open, Closed });
cases!(github::CheckStatus {
    Queued,
    InProgress,
    Completed
});
cases!(github::Conclusion {
    Success,
    Failure,
    Neutral,
    Cancelled,
    Skipped,
    TimedOut,
    ActionRequired
});
record!(github::CheckRun {
    name,
    head_sha,
    status,
    conclusion,
    details_url,
    title,
    summary
});
cases!(github::StatusState {
    Pending,
    Success,
    Failure,
    Error
});
record!(github::WorkflowRun {
    id,
    name,
    path,
    workflow_id,
    event,
    head_branch,
    status,
    conclusion,
    head_sha,
    html_url
});
record!(github::NewRelease {
    tag,
    target,
    name,
    body,
    draft,
    prerelease
});
record!(github::Release {
    id,
    tag,
    name,
    draft,
    html_url
});
record!(github::Artifact { id, name, size });
record!(github::File { sha, content });
record!(github::Milestone {
    number,
    title,
    state
});

record!(git::Signature { name, email });
record!(git::CommitInfo {
    sha,
    message,
    author
});

cases!(http::Method {
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete
});
record!(http::Header { name, value });
record!(http::SecretHeader {
    name,
    prefix,
    value
});
record!(http::Request {
    method,
    url,
    headers,
    body
});
record!(http::Response {
    status,
    headers,
    body,
    truncated
});

/// v0.2 has no `pending` error: a held write answers `held` instead (see
/// [`Settle`]).
impl Older for new::types::HostError {
    type Out = old::types::HostError;
    fn older(self) -> Self::Out {
        use new::types::HostError as New;
        use old::types::HostError as Old;
        match self {
            New::Denied(m) => Old::Denied(m),
            New::NotFound(m) => Old::NotFound(m),
            New::Rejected(m) => Old::Rejected(m),
            New::Unavailable(m) => Old::Unavailable(m),
            New::LimitExceeded(m) => Old::LimitExceeded(m),
            New::Invalid(m) => Old::Invalid(m),
        }
    }
}

/// A current write's answer as v0.1 gave it: the value when it was done, the error
/// `pending(approval id)` when it is held.
pub(super) trait Settle {
    /// The v0.1 value of a done write.
    type Out;
    /// Converts.
    ///
    /// # Errors
    /// The write's error, or `pending` when it is held.
    fn settle(self) -> Result<Self::Out, old::types::HostError>;
}

impl Settle for new::types::Written {
    type Out = ();
    fn settle(self) -> Result<(), old::types::HostError> {
        match self {
            Self::Done => Ok(()),
            Self::Held(held) => Err(old::types::HostError::Pending(held.approval_id)),
        }
    }
}

/// Written variants that carry a value when done.
macro_rules! settle {
    ($($iface:ident :: $name:ident => $value:ty),* $(,)?) => {$(
        impl Settle for new::$iface::$name {
            type Out = <$value as Older>::Out;
            fn settle(self) -> Result<Self::Out, old::types::HostError> {
                match self {
                    Self::Done(value) => Ok(value.older()),
                    Self::Held(held) => Err(old::types::HostError::Pending(held.approval_id)),
                }
            }
        }
    )*};
}

settle!(
    types::WrittenId => u64,
    types::WrittenNames => Vec<String>,
    types::WrittenSha => String,
    github::WrittenRelease => new::github::Release,
);

impl<W: Settle> Settle for Result<W, new::types::HostError> {
    type Out = W::Out;
    fn settle(self) -> Result<Self::Out, old::types::HostError> {
        self.map_err(Older::older)?.settle()
    }
}
