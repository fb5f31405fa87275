//! Fixture (TESTPLAN S5, S7; KV, secrets, metrics): fetches each configured URL and
//! logs what happened, sends the `token` secret as a bearer header to `secret_url`,
//! keeps `note` in its KV store (logging the note it found first), and counts each
//! run in a metric.
use gantry_plugin_sdk::http::{self, Method, Request, SecretHeader};
use gantry_plugin_sdk::{config, kv, log, metrics, secrets, Error, Event, Plugin};
use serde::Deserialize;

#[derive(Deserialize)]
struct Config {
    #[serde(default)]
    urls: Vec<String>,
    #[serde(default)]
    secret_url: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

struct Prober;

fn probe(url: &str) {
    match http::get(url) {
        Ok(r) => log::info(&format!(
            "probe {url} -> status {} ({} bytes{})",
            r.status,
            r.body.len(),
            if r.truncated { ", truncated" } else { "" }
        )),
        Err(e) => log::info(&format!("probe {url} -> error {e:?}")),
    }
}

impl Plugin for Prober {
    fn handle_event(_event: Event) -> Result<(), Error> {
        let config: Config = config::get()?;
        for url in &config.urls {
            probe(url);
        }
        if let Some(url) = config.secret_url {
            let token = secrets::open("token").map_err(|e| format!("open token: {e:?}"))?;
            log::info(&format!("opened secret {}", token.name()));
            let request = Request {
                method: Method::Get,
                url: url.clone(),
                headers: Vec::new(),
                body: None,
            };
            let header = SecretHeader {
                name: "authorization".into(),
                prefix: "Bearer ".into(),
                value: &token,
            };
            match http::fetch(&request, &[header]) {
                Ok(r) => log::info(&format!("secret {url} -> status {}", r.status)),
                Err(e) => log::info(&format!("secret {url} -> error {e:?}")),
            }
        }
        if let Some(note) = config.note {
            let before = kv::get("note").map_err(|e| format!("kv get: {e:?}"))?;
            log::info(&format!(
                "note before: {:?}",
                before.map(|b| String::from_utf8_lossy(&b).into_owned())
            ));
            kv::set("note", note.as_bytes()).map_err(|e| format!("kv set: {e:?}"))?;
            log::info(&format!(
                "keys: {:?}",
                kv::list_keys("").map_err(|e| format!("kv list: {e:?}"))?
            ));
        }
        metrics::counter_add("probes", "runs", 1);
        Ok(())
    }
}

gantry_plugin_sdk::register_plugin!(Prober);
