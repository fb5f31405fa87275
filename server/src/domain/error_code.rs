//! `ApiErrorCode`: the catalogue of every `error` code a JSON answer can carry
//! (`{"error": "snake_case_code", "message": "..."}`), each with its HTTP status and
//! a one-line meaning. `routes::ApiError` and `auth::AuthError` are built from these
//! codes only, the OpenAPI document (`GET /api/v1/openapi.json`) lists them, and the
//! table in `docs/api.md` is checked against this list by a unit test. It lives in
//! `domain` (not `routes`) so that `auth` can use it without importing `routes`.
/// Declares the catalogue: variant, code, status, meaning.
macro_rules! catalogue {
    ( $( $variant:ident => $code:literal, $status:literal, $meaning:literal; )+ ) => {
        /// A stable error code of the JSON answers, with its status and meaning.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ApiErrorCode {
            $( #[doc = $meaning] $variant, )+
        }

        impl ApiErrorCode {
            /// Every code, in catalogue order.
            pub const ALL: &'static [ApiErrorCode] = &[ $( ApiErrorCode::$variant, )+ ];

            /// The code as answered (`snake_case`).
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self {
                    $( ApiErrorCode::$variant => $code, )+
                }
            }

            /// The HTTP status answered with it.
            #[must_use]
            pub fn status(self) -> u16 {
                match self {
                    $( ApiErrorCode::$variant => $status, )+
                }
            }

            /// What it means, in one line (also the row in `docs/api.md`).
            #[must_use]
            pub fn meaning(self) -> &'static str {
                match self {
                    $( ApiErrorCode::$variant => $meaning, )+
                }
            }
        }
    };
}

catalogue! {
    // Who is asking (every /api/v1 route).
    Unauthorized => "unauthorized", 401,
        "no valid session or API token (absent, expired, revoked or forged)";
    Forbidden => "forbidden", 403,
        "signed in, but without the role this needs (on this repository), or the caller may not decide this approval";
    CsrfRejected => "csrf_rejected", 403,
        "a write by session cookie without a valid CSRF token, or from another site";
    // Requests the API cannot read.
    MethodNotAllowed => "method_not_allowed", 405,
        "the endpoint does not accept that method";
    BadStatus => "bad_status", 400,
        "a delivery listing's `status` is not a job status";
    InvalidJson => "invalid_json", 400,
        "the body is not JSON, or not the JSON this endpoint takes";
    InvalidQuery => "invalid_query", 400,
        "the query string does not parse (a number that is not one, a missing parameter)";
    UnsupportedMediaType => "unsupported_media_type", 415,
        "the body's `Content-Type` is not what the endpoint takes (`application/json`; `application/wasm` for a component)";
    PayloadTooLarge => "payload_too_large", 413,
        "the body exceeds its size limit (`webhook.max_body_bytes`, `plugins.max_component_bytes`, 2 MiB of JSON)";
    BodyUnreadable => "body_unreadable", 400,
        "the body could not be read from the connection";
    // Records that are not there (or not visible to the caller).
    ApprovalNotFound => "approval_not_found", 404,
        "no held action with that id among the caller's repositories";
    DeliveryNotFound => "delivery_not_found", 404,
        "no delivery with that id among the caller's repositories";
    RuleNotFound => "rule_not_found", 404,
        "no policy rule with that id";
    RepositoryNotFound => "repository_not_found", 404,
        "the repository is not among the caller's";
    PluginNotFound => "plugin_not_found", 404,
        "no plugin installed under that name";
    // Approvals.
    AlreadyDecided => "already_decided", 409,
        "the held action was already approved, denied or stopped";
    AlreadyApproved => "already_approved", 409,
        "the same person approved this held action before";
    StoppedByPolicy => "stopped_by_policy", 409,
        "the policy now refuses the held action, so it will not run";
    ActionFailed => "action_failed", 502,
        "the approved action failed on GitHub; it is `failed` and can be approved again";
    // Policies.
    InvalidRule => "invalid_rule", 422,
        "the policy rule is not valid; the message names the field";
    // Plugins.
    InvalidPlugin => "invalid_plugin", 400,
        "the component is not a valid Gantry plugin; the message says why";
    AlreadyInstalled => "already_installed", 409,
        "a plugin of that name is installed (upgrade it instead)";
    WrongPlugin => "wrong_plugin", 400,
        "the component is another plugin than the one named in the path";
    InvalidConfig => "invalid_config", 400,
        "the configuration does not match the plugin's schema; nothing changed";
    IncompatibleConfig => "incompatible_config", 400,
        "the new version's schema refuses a project's configuration; nothing changed";
    InvalidProject => "invalid_project", 400,
        "the project is neither `owner/name` nor `*`";
    Conflict => "conflict", 409,
        "the plugin changed while this change was being made; nothing changed, try again";
    // Webhook intake (`POST /webhooks/github`).
    MissingEvent => "missing_event", 400,
        "the `X-GitHub-Event` header is missing";
    MissingDelivery => "missing_delivery", 400,
        "the `X-GitHub-Delivery` header is missing";
    MissingSignature => "missing_signature", 401,
        "the `X-Hub-Signature-256` header is missing";
    BadSignature => "bad_signature", 401,
        "the signature matches no webhook secret";
    WrongSecretScope => "wrong_secret_scope", 401,
        "the secret that signed it does not apply to this repository (it has its own secrets)";
    InstallationMismatch => "installation_mismatch", 401,
        "the installation named belongs to another account than the repository's owner";
    MalformedPayload => "malformed_payload", 400,
        "the verified body is not a JSON object GitHub would send";
    BodyTimeout => "body_timeout", 408,
        "the body did not arrive within `webhook.body_timeout_ms`";
    IntakeSaturated => "intake_saturated", 503,
        "more than `webhook.max_in_flight` deliveries at once; retry after `Retry-After`";
    StorageDeadline => "storage_deadline", 503,
        "the delivery was not stored within `webhook.deadline_ms` (it may still be); retry";
    StorageBreakerOpen => "storage_breaker_open", 503,
        "storage keeps failing, so intake refuses for now; retry after `Retry-After`";
    // The server.
    StorageUnavailable => "storage_unavailable", 503,
        "the database could not be used; the message carries a request id found in the log";
    Internal => "internal", 500,
        "a bug in the server; the message carries a request id found in the log";
}

impl std::fmt::Display for ApiErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for ApiErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl utoipa::PartialSchema for ApiErrorCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("A code of the error catalogue (docs/api.md)."))
            .enum_values(Some(Self::ALL.iter().map(|c| c.as_str())))
            .into()
    }
}

impl utoipa::ToSchema for ApiErrorCode {}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::ApiErrorCode;

    /// The rows of the error table in `docs/api.md` (its "Error codes" section):
    /// code, status and meaning.
    fn documented() -> Vec<(String, u16, String)> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/api.md");
        let text = std::fs::read_to_string(path).unwrap();
        let section = text.split("## Error codes").nth(1).unwrap();
        let section = section.split("\n## ").next().unwrap();
        section
            .lines()
            .filter(|l| l.starts_with("| `"))
            .map(|line| {
                let cells: Vec<&str> = line.trim_matches('|').split(" | ").collect();
                assert_eq!(cells.len(), 3, "a row is code | status | meaning: {line}");
                (
                    cells[0].trim().trim_matches('`').to_owned(),
                    cells[1].trim().parse().unwrap(),
                    cells[2].trim().to_owned(),
                )
            })
            .collect()
    }

    fn row(code: ApiErrorCode) -> String {
        format!(
            "| `{}` | {} | {} |",
            code.as_str(),
            code.status(),
            code.meaning()
        )
    }

    #[test]
    fn docs_api_md_lists_exactly_the_catalogue_with_its_statuses() {
        let documented = documented();
        let expected: Vec<(String, u16, String)> = ApiErrorCode::ALL
            .iter()
            .map(|c| (c.as_str().to_owned(), c.status(), c.meaning().to_owned()))
            .collect();
        let table: Vec<String> = ApiErrorCode::ALL.iter().map(|c| row(*c)).collect();
        assert_eq!(
            documented,
            expected,
            "the table under \"## Error codes\" in docs/api.md must be:\n{}",
            table.join("\n")
        );
    }

    #[test]
    fn every_code_is_distinct_snake_case_and_an_error_status() {
        let mut seen = BTreeSet::new();
        for code in ApiErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "{code} is listed twice");
            assert!(
                code.as_str()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{code} is not snake_case"
            );
            assert!(
                (400..600).contains(&code.status()),
                "{code} answers {}",
                code.status()
            );
        }
    }
}
