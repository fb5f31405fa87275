//! The process-local side of GitHub Apps, never saved: every App JWT seen (for tests
//! asserting on what a client sent), token requests per installation, how long new
//! installation tokens live, and whether requests must carry a token the simulator
//! knows.

use std::{
    collections::{HashMap, VecDeque},
    time::Duration,
};

use super::JwtRecord;

/// JWT records kept; older ones are dropped.
const MAX_RECORDS: usize = 1024;
/// GitHub's installation tokens live an hour.
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// App JWTs seen, token requests, and the token settings.
#[derive(Debug)]
pub(crate) struct AppLog {
    /// Codes of manifests approved and not yet converted.
    pub(crate) manifests: HashMap<String, super::manifest::Conversion>,
    jwts: VecDeque<JwtRecord>,
    token_requests: HashMap<u64, u64>,
    token_lifetime: Duration,
    check_tokens: bool,
}

impl Default for AppLog {
    fn default() -> Self {
        Self {
            manifests: HashMap::new(),
            jwts: VecDeque::new(),
            token_requests: HashMap::new(),
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            check_tokens: false,
        }
    }
}

impl AppLog {
    /// Records a JWT the simulator accepted or refused.
    pub fn record(&mut self, record: JwtRecord) {
        if self.jwts.len() == MAX_RECORDS {
            self.jwts.pop_front();
        }
        self.jwts.push_back(record);
    }

    /// The JWTs seen, oldest first.
    pub fn jwts(&self) -> Vec<JwtRecord> {
        self.jwts.iter().cloned().collect()
    }

    /// Counts one token request for an installation.
    pub fn count_token_request(&mut self, installation_id: u64) {
        let count = self.token_requests.entry(installation_id).or_default();
        *count = count.saturating_add(1);
    }

    /// Token requests seen for an installation.
    pub fn token_requests(&self, installation_id: u64) -> u64 {
        self.token_requests
            .get(&installation_id)
            .copied()
            .unwrap_or_default()
    }

    /// How long new installation tokens live.
    pub fn token_lifetime(&self) -> Duration {
        self.token_lifetime
    }

    /// Changes how long new installation tokens live.
    pub fn set_token_lifetime(&mut self, lifetime: Duration) {
        self.token_lifetime = lifetime;
    }

    /// Whether requests must carry a token the simulator knows.
    pub fn checks_tokens(&self) -> bool {
        self.check_tokens
    }

    /// Turns token checking on or off.
    pub fn set_check_tokens(&mut self, enabled: bool) {
        self.check_tokens = enabled;
    }
}
