//! Secrets for plugins: an operator stores a named value for one plugin, for one
//! repository or for all (`*`), bound to the hosts (and header names) it may be sent
//! to. That plugin, with the capability `secrets:<name>`, opens a handle to it and
//! never sees the value; another plugin declaring the same name does not find it,
//! and the HTTP host call puts it only in a bound header of a request to a bound
//! host. Values are sealed with the server's `secrets.key`, bound to their plugin,
//! scope, name, hosts and headers, so a row copied elsewhere or re-pointed at
//! another host in the database does not open. Scopes are lower case (GitHub's
//! repository names are case-insensitive).
//!
//! Rows stored before secrets were bound to plugins are opened by no plugin until
//! [`bind_unbound`] re-seals each for one plugin and its hosts.
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};

use super::SecretError;
use crate::crypto::SecretBox;
use crate::db::plugin_secrets::{self, NewSecret, UNBOUND};
use crate::domain::Secret;

/// Which secret: the plugin it is for, where it applies, its name.
#[derive(Debug, Clone, Copy)]
pub struct SecretId<'a> {
    /// The plugin that may open it.
    pub plugin: &'a str,
    /// `*` for every repository, or `owner/name`.
    pub scope: &'a str,
    /// Its name, as in `secrets:<name>`.
    pub name: &'a str,
}

/// Where a secret may be sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Binding {
    /// Destination hosts as in `http:<host>` (`api.example.com`, `10.0.0.1`,
    /// `[::1]`), lower case; at least one.
    pub hosts: Vec<String>,
    /// Header names, lower case; `authorization` when none are given.
    pub headers: Vec<String>,
}

impl Binding {
    /// Checks and normalises the hosts and header names.
    ///
    /// # Errors
    /// A message without a host, or for a malformed host or header name.
    pub fn new(hosts: &[String], headers: &[String]) -> Result<Self, String> {
        let mut hosts: Vec<String> = hosts
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        let mut headers: Vec<String> = headers
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        if headers.is_empty() {
            headers.push("authorization".into());
        }
        let host_ok = |h: &String| {
            !h.is_empty()
                && h.len() <= 253
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.[]:_".contains(&b))
        };
        let header_ok = |h: &String| {
            !h.is_empty()
                && h.len() <= 128
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b))
        };
        if hosts.is_empty() {
            return Err("a plugin secret needs at least one host it may be sent to".into());
        }
        if let Some(bad) = hosts.iter().find(|h| !host_ok(h)) {
            return Err(format!("`{bad}` is not a host as in http:HOST"));
        }
        if let Some(bad) = headers.iter().find(|h| !header_ok(h)) {
            return Err(format!(
                "`{bad}` is not a header name (letters, digits, - and _)"
            ));
        }
        hosts.sort();
        hosts.dedup();
        headers.sort();
        headers.dedup();
        Ok(Self { hosts, headers })
    }

    fn from_stored(hosts: &str, headers: &str) -> Self {
        let lines = |s: &str| s.lines().map(str::to_owned).collect();
        Self {
            hosts: lines(hosts),
            headers: lines(headers),
        }
    }

    /// Whether the secret may go to `host` in the header `name`.
    #[must_use]
    pub fn allows(&self, host: &str, header: &str) -> bool {
        self.hosts.iter().any(|h| h.eq_ignore_ascii_case(host))
            && self.headers.iter().any(|h| h.eq_ignore_ascii_case(header))
    }
}

/// A secret a plugin opened: its value and where it may go.
#[derive(Debug)]
pub struct Opened {
    /// The value.
    pub value: Secret,
    /// Where it may be sent.
    pub binding: Binding,
}

/// One stored secret as listed, never its value.
#[derive(Debug, Clone)]
pub struct Listed {
    /// The plugin; empty for a secret stored before secrets were bound to plugins.
    pub plugin: String,
    /// `*` or `owner/name`.
    pub scope: String,
    /// The name.
    pub name: String,
    /// Where it may be sent.
    pub binding: Binding,
    /// When it was stored.
    pub created_at: chrono::DateTime<chrono::Utc>,
}

fn aad(id: &SecretId<'_>, binding: &Binding) -> Vec<u8> {
    format!(
        "gantry-plugin-secret:v2\n{}\n{}\n{}\n{}\n{}",
        id.plugin,
        id.scope,
        id.name,
        binding.hosts.join(","),
        binding.headers.join(",")
    )
    .into_bytes()
}

/// The associated data of a row stored before secrets were bound to plugins.
fn unbound_aad(scope: &str, name: &str) -> Vec<u8> {
    format!("gantry-plugin-secret:{scope}:{name}").into_bytes()
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

fn valid_plugin(plugin: &str) -> bool {
    !plugin.is_empty()
        && plugin.len() <= 128
        && plugin
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b))
}

/// Where a secret applies, lower case: `*` for every repository, or `owner/name`.
fn scope_of(scope: &str) -> Option<String> {
    let scope = scope.trim().to_ascii_lowercase();
    let ok = scope == "*"
        || scope
            .split_once('/')
            .is_some_and(|(o, n)| !o.is_empty() && !n.is_empty() && !n.contains('/'));
    ok.then_some(scope)
}

/// Seals and stores (or replaces) a plugin secret.
///
/// # Errors
/// [`SecretError::NoKey`] without `secrets.key`, [`SecretError::Invalid`] for a bad
/// plugin, name, scope or value, or the database's error.
pub async fn set(
    db: &impl ConnectionTrait,
    key: Option<&Secret>,
    id: SecretId<'_>,
    binding: &Binding,
    value: &str,
) -> Result<(), SecretError> {
    let key = key.ok_or(SecretError::NoKey)?;
    let scope = scope_of(id.scope).ok_or(SecretError::Invalid)?;
    if !valid_plugin(id.plugin)
        || !valid_name(id.name)
        || value.is_empty()
        || value.len() > 64 * 1024
    {
        return Err(SecretError::Invalid);
    }
    let id = SecretId {
        scope: &scope,
        ..id
    };
    store(
        db,
        &SecretBox::from_key(key)?,
        id,
        binding,
        value.as_bytes(),
    )
    .await
}

async fn store(
    db: &impl ConnectionTrait,
    sealer: &SecretBox,
    id: SecretId<'_>,
    binding: &Binding,
    value: &[u8],
) -> Result<(), SecretError> {
    let (nonce, ciphertext) = sealer.seal(value, &aad(&id, binding))?;
    plugin_secrets::put(
        db,
        NewSecret {
            plugin: id.plugin,
            scope: id.scope,
            name: id.name,
            hosts: &binding.hosts.join("\n"),
            headers: &binding.headers.join("\n"),
            nonce,
            ciphertext,
        },
    )
    .await?;
    Ok(())
}

/// Binds a secret stored before secrets were bound to plugins to `plugin` and
/// `binding`: its value is re-sealed for them and the unbound row removed. Returns
/// whether there was such a row.
///
/// # Errors
/// [`SecretError::NoKey`] without a key, [`SecretError::Invalid`] for a bad plugin,
/// a crypto error when it does not open, or the database's error.
pub async fn bind_unbound(
    db: &impl ConnectionTrait,
    key: Option<&Secret>,
    id: SecretId<'_>,
    binding: &Binding,
) -> Result<bool, SecretError> {
    let key = key.ok_or(SecretError::NoKey)?;
    let scope = scope_of(id.scope).ok_or(SecretError::Invalid)?;
    if !valid_plugin(id.plugin) {
        return Err(SecretError::Invalid);
    }
    let Some(row) = plugin_secrets::exact(db, UNBOUND, &scope, id.name).await? else {
        return Ok(false);
    };
    let sealer = SecretBox::from_key(key)?;
    let plain = sealer.open(
        &row.nonce,
        &row.ciphertext,
        &unbound_aad(&row.scope, &row.name),
    )?;
    let id = SecretId {
        scope: &scope,
        ..id
    };
    store(db, &sealer, id, binding, &plain).await?;
    plugin_secrets::delete(db, row.id).await?;
    Ok(true)
}

/// The stored plugin secrets, never their values.
///
/// # Errors
/// When the database fails.
pub async fn list(db: &DatabaseConnection) -> Result<Vec<Listed>, DbErr> {
    Ok(plugin_secrets::all(db)
        .await?
        .into_iter()
        .map(|r| Listed {
            binding: Binding::from_stored(&r.hosts, &r.headers),
            plugin: r.plugin,
            scope: r.scope,
            name: r.name,
            created_at: r.created_at,
        })
        .collect())
}

/// Removes a plugin secret (an unbound one with an empty plugin); returns whether
/// it existed.
///
/// # Errors
/// When the database fails.
pub async fn remove(db: &impl ConnectionTrait, id: SecretId<'_>) -> Result<bool, DbErr> {
    match plugin_secrets::exact(db, id.plugin, id.scope.trim(), id.name).await? {
        Some(row) => plugin_secrets::delete(db, row.id).await,
        None => Ok(false),
    }
}

/// Opens `plugin`'s secret `name` for `project` (its own, else the global one);
/// secrets stored for other plugins are not found.
///
/// # Errors
/// [`SecretError::NoKey`] without a key, a crypto error when it does not open, or
/// the database's error.
pub async fn open(
    db: &DatabaseConnection,
    sealer: Option<&SecretBox>,
    plugin: &str,
    project: &str,
    name: &str,
) -> Result<Option<Opened>, SecretError> {
    let project = project.to_ascii_lowercase();
    let Some(row) = plugin_secrets::find(db, plugin, &project, name).await? else {
        return Ok(None);
    };
    let sealer = sealer.ok_or(SecretError::NoKey)?;
    let binding = Binding::from_stored(&row.hosts, &row.headers);
    let id = SecretId {
        plugin: &row.plugin,
        scope: &row.scope,
        name: &row.name,
    };
    let plain = sealer.open(&row.nonce, &row.ciphertext, &aad(&id, &binding))?;
    let text = String::from_utf8(plain).map_err(|_| SecretError::Invalid)?;
    Ok(Some(Opened {
        value: Secret::new(text),
        binding,
    }))
}

/// Whether secrets named `name` exist but none for `plugin`: unbound ones, or ones
/// stored for another plugin. For a clearer refusal; never opens anything.
///
/// # Errors
/// When the database fails.
pub async fn stored_for_others(
    db: &DatabaseConnection,
    plugin: &str,
    name: &str,
) -> Result<bool, DbErr> {
    Ok(plugin_secrets::all(db)
        .await?
        .iter()
        .any(|r| r.name == name && r.plugin != plugin))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_binding_needs_a_host_and_defaults_to_the_authorization_header() {
        assert!(Binding::new(&[], &[]).is_err());
        assert!(Binding::new(&["bad host".into()], &[]).is_err());
        let b = Binding::new(&["API.Example.com".into()], &[]).unwrap();
        assert_eq!(b.hosts, ["api.example.com"]);
        assert_eq!(b.headers, ["authorization"]);
        assert!(b.allows("api.example.com", "Authorization"));
        assert!(!b.allows("evil.example", "authorization"));
        assert!(!b.allows("api.example.com", "x-other"));
    }

    #[test]
    fn the_sealed_value_is_bound_to_plugin_scope_name_hosts_and_headers() {
        let b = Binding::new(&["a.example".into()], &["x-token".into()]).unwrap();
        let id = SecretId {
            plugin: "p",
            scope: "*",
            name: "n",
        };
        let other_host = Binding::new(&["b.example".into()], &["x-token".into()]).unwrap();
        assert_ne!(aad(&id, &b), aad(&id, &other_host));
        let other_plugin = SecretId { plugin: "q", ..id };
        assert_ne!(aad(&id, &b), aad(&other_plugin, &b));
    }
}
