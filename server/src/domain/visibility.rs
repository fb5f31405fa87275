//! Which projects' records a reader may see: an authorisation concept, made from a
//! principal's roles (`auth::Principal::visible_projects`) and applied by every
//! listing (`db::dashboard`, `db::visibility`) and service that shows records.

/// Which projects' records a reader may see (`Principal::visible_projects`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visibility {
    /// Every project, and records that name none.
    All,
    /// Only these lower-cased `owner/repo` (possibly none).
    Only(Vec<String>),
}

impl Visibility {
    /// Whether a record of `project` (any case; `None`: it names no project) is shown.
    #[must_use]
    pub fn shows(&self, project: Option<&str>) -> bool {
        match (self, project) {
            (Self::All, _) => true,
            (Self::Only(projects), Some(p)) => projects.iter().any(|v| v.eq_ignore_ascii_case(p)),
            (Self::Only(_), None) => false,
        }
    }

    /// Whether an organisation's rules concern the reader: everyone's for `All`,
    /// otherwise those of an owner of one of their projects.
    #[must_use]
    pub fn shows_org(&self, org: &str) -> bool {
        match self {
            Self::All => true,
            Self::Only(projects) => projects.iter().any(|p| {
                p.split_once('/')
                    .is_some_and(|(owner, _)| owner.eq_ignore_ascii_case(org))
            }),
        }
    }

    /// The projects to filter on; `None` for every project.
    #[must_use]
    pub fn projects(&self) -> Option<&[String]> {
        match self {
            Self::All => None,
            Self::Only(projects) => Some(projects),
        }
    }
}
