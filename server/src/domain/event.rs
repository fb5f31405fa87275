//! What Gantry reads from a verified payload before storing it: the action, the
//! repository and the installation. Everything else stays in the raw bytes.
use serde::Deserialize;

/// A repository named by owner and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoRef {
    /// The owning account's login.
    pub owner: String,
    /// The repository's name.
    pub name: String,
}

impl RepoRef {
    /// `owner/name`.
    #[must_use]
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }
}

/// The few fields routing needs, read from a payload without keeping a parsed copy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventMeta {
    /// The payload's `action`, when it has one.
    pub action: Option<String>,
    /// `repository.owner.login` and `repository.name`, when present.
    pub repository: Option<RepoRef>,
    /// `organization.login`, when present.
    pub organization: Option<String>,
    /// `installation.id`, when present.
    pub installation_id: Option<i64>,
    /// The issue or pull request number the event is about, when it is about one.
    pub number: Option<u64>,
    /// The branch concerned: a pull request's base, or the branch a push updated.
    pub branch: Option<String>,
}

#[derive(Deserialize)]
struct RawMeta {
    action: Option<serde_json::Value>,
    repository: Option<RawRepo>,
    organization: Option<RawOwner>,
    installation: Option<RawInstallation>,
    issue: Option<RawNumbered>,
    pull_request: Option<RawNumbered>,
    #[serde(rename = "ref")]
    git_ref: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawRepo {
    name: Option<String>,
    owner: Option<RawOwner>,
}

#[derive(Deserialize)]
struct RawOwner {
    login: Option<String>,
}

#[derive(Deserialize)]
struct RawInstallation {
    id: Option<i64>,
}

#[derive(Deserialize)]
struct RawNumbered {
    number: Option<u64>,
    base: Option<RawBase>,
}

#[derive(Deserialize)]
struct RawBase {
    #[serde(rename = "ref")]
    name: Option<String>,
}

impl EventMeta {
    /// Reads the routing fields from a JSON payload. Fields of an unexpected type are
    /// treated as absent where that is harmless (a numeric action, a repository without
    /// an owner); a body that is not a JSON object, or whose `repository`, `issue` or
    /// `installation` is not an object, is an error.
    ///
    /// # Errors
    /// When the body is not valid JSON or not an object.
    pub fn from_json(body: &[u8]) -> Result<Self, serde_json::Error> {
        Ok(Self::from_raw(serde_json::from_slice(body)?))
    }

    /// [`EventMeta::from_json`] on a payload already parsed, without parsing it
    /// again.
    ///
    /// # Errors
    /// When the value is not an object, or one of the fields named there is not.
    pub fn from_value(payload: &serde_json::Value) -> Result<Self, serde_json::Error> {
        Ok(Self::from_raw(RawMeta::deserialize(payload)?))
    }

    fn from_raw(raw: RawMeta) -> Self {
        let repository = raw.repository.and_then(|r| {
            Some(RepoRef {
                owner: r.owner?.login?,
                name: r.name?,
            })
        });
        Self {
            action: raw.action.and_then(|a| a.as_str().map(str::to_owned)),
            repository,
            organization: raw.organization.and_then(|o| o.login),
            installation_id: raw.installation.and_then(|i| i.id),
            number: raw
                .issue
                .and_then(|i| i.number)
                .or_else(|| raw.pull_request.as_ref().and_then(|p| p.number)),
            branch: raw
                .pull_request
                .and_then(|p| p.base)
                .and_then(|b| b.name)
                .or_else(|| {
                    raw.git_ref.and_then(|r| {
                        r.as_str()
                            .and_then(|r| r.strip_prefix("refs/heads/"))
                            .map(str::to_owned)
                    })
                }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parsed_payload_gives_the_same_fields_as_its_bytes() {
        let body = br#"{"action":"synchronize","pull_request":{"number":4,"base":{"ref":"main"}},"repository":{"name":"r","owner":{"login":"o"}},"installation":{"id":3}}"#;
        let value: serde_json::Value = serde_json::from_slice(body).unwrap();
        assert_eq!(
            EventMeta::from_value(&value).unwrap(),
            EventMeta::from_json(body).unwrap()
        );
        assert!(EventMeta::from_value(&serde_json::json!([1])).is_err());
    }

    #[test]
    fn reads_action_repository_and_number() {
        let meta = EventMeta::from_json(
            br#"{"action":"opened","issue":{"number":7},"repository":{"name":"r","owner":{"login":"o"}},"installation":{"id":3}}"#,
        )
        .unwrap();
        assert_eq!(meta.action.as_deref(), Some("opened"));
        assert_eq!(meta.repository.unwrap().full_name(), "o/r");
        assert_eq!(meta.installation_id, Some(3));
        assert_eq!(meta.number, Some(7));
        let push = EventMeta::from_json(br#"{"ref":"refs/heads/release/1.0"}"#).unwrap();
        assert_eq!(push.branch.as_deref(), Some("release/1.0"));
        let pr = EventMeta::from_json(br#"{"pull_request":{"number":3,"base":{"ref":"main"}}}"#)
            .unwrap();
        assert_eq!((pr.number, pr.branch.as_deref()), (Some(3), Some("main")));
    }

    #[test]
    fn odd_types_are_absent_and_non_objects_fail() {
        let meta = EventMeta::from_json(br#"{"action":5,"repository":{"name":"r"}}"#).unwrap();
        assert_eq!(meta.action, None);
        assert_eq!(meta.repository, None);
        assert!(EventMeta::from_json(br#"{"repository":"x"}"#).is_err());
        assert!(EventMeta::from_json(b"[1,2]").is_err());
        assert!(EventMeta::from_json(b"{").is_err());
    }
}
