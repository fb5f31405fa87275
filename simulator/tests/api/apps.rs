//! GitHub Apps: App JWTs checked as GitHub does (each bad claim refused with GitHub's
//! message, every JWT recorded), installations read through octocrab, installation
//! tokens handed out, used on REST routes and refused once expired when tokens are
//! checked, suspended and unknown installations, and the control routes.

use std::time::Duration;

use actix_web::test::TestRequest;
use chrono::Utc;
use gantry_simulator::{NewApp, NewInstallation, Simulator, SimulatorOptions};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use octocrab::models::{apps::CreateInstallationAccessToken, InstallationId};
use serde_json::{json, Value};

use crate::helpers::{github_error, payload, repo_path, send, serve, OWNER, REPO};

pub const APP_ID: u64 = 4242;
pub const INSTALLATION: u64 = 77;
pub const APP_PRIVATE_KEY: &str = include_str!("keys/test-only-app.private.pem");
const APP_PUBLIC_KEY: &str = include_str!("keys/test-only-app.public.pem");
const OTHER_PRIVATE_KEY: &str = include_str!("keys/test-only-other.private.pem");

/// A simulator that knows Codertocat/Hello-World and app 4242 (registered with its
/// public key), installed as 77 on Codertocat; tokens are checked.
pub fn with_app() -> Simulator {
    let sim = Simulator::new(SimulatorOptions::default()).with_token_checking();
    sim.learn("issues", &payload("issues/opened.payload.json"));
    sim.register_app(&NewApp::new(APP_ID, APP_PUBLIC_KEY))
        .unwrap();
    assert!(sim.add_installation(&NewInstallation::new(INSTALLATION, APP_ID, OWNER)));
    sim
}

/// `claims` signed with `key` using `alg`.
fn sign(alg: Algorithm, key: &EncodingKey, claims: &Value) -> String {
    encode(&Header::new(alg), claims, key).unwrap()
}

/// The claims of a good JWT for `iss`: issued 60 s ago, expiring 9 minutes from now.
fn claims(iss: Value) -> Value {
    let now = Utc::now().timestamp();
    json!({"iss": iss, "iat": now - 60, "exp": now + 540})
}

/// A good App JWT for app 4242.
pub fn app_jwt() -> String {
    let key = EncodingKey::from_rsa_pem(APP_PRIVATE_KEY.as_bytes()).unwrap();
    sign(Algorithm::RS256, &key, &claims(json!(APP_ID.to_string())))
}

/// Sends `GET /app` with `Authorization: Bearer {jwt}`; status and message.
async fn get_app_with(sim: &Simulator, jwt: &str) -> (u16, String) {
    let req = TestRequest::get()
        .uri("/app")
        .insert_header(("authorization", format!("Bearer {jwt}")));
    let reply = send(sim, req).await;
    let message = reply.json["message"].as_str().unwrap_or_default();
    (reply.status.as_u16(), message.to_owned())
}

#[actix_web::test]
async fn a_good_app_jwt_reads_the_app_and_its_installations_and_is_recorded() {
    let served = serve(with_app());
    let app = served.with_token(&app_jwt());
    let read = app.apps().get().await.unwrap();
    assert_eq!((read.id.0, read.slug.as_deref()), (APP_ID, Some("gantry")));
    let installations = app.apps().installations().send().await.unwrap();
    assert_eq!(installations.items.len(), 1);
    let installation = &installations.items[0];
    assert_eq!(installation.id, InstallationId(INSTALLATION));
    assert_eq!(installation.account.login, OWNER);
    assert_eq!(installation.repository_selection.as_deref(), Some("all"));
    let by_repo = app
        .apps()
        .get_repository_installation(OWNER, REPO)
        .await
        .unwrap();
    assert_eq!(by_repo.id, InstallationId(INSTALLATION));
    let elsewhere = app
        .apps()
        .get_repository_installation("someone", "else")
        .await
        .unwrap_err();
    assert_eq!(github_error(elsewhere).0, 404);

    let seen = served.sim.app_jwts();
    assert_eq!(seen.len(), 4);
    let first = &seen[0];
    assert!(first.accepted && first.refusal.is_none());
    assert_eq!(first.alg.as_deref(), Some("RS256"));
    assert_eq!(
        (first.method.as_str(), first.path.as_str()),
        ("GET", "/app")
    );
    assert_eq!(first.iss, Some(APP_ID));
    let (iat, exp) = (first.iat.unwrap(), first.exp.unwrap());
    assert_eq!(exp - iat, 600);
    assert!(
        (first.received_at - 60 - iat).abs() <= 2,
        "iat is backdated 60 s"
    );
    assert_eq!(first.claims.as_ref().unwrap()["iss"], "4242");
    served.stop().await;
}

#[actix_web::test]
async fn each_bad_claim_is_refused_with_githubs_message() {
    let sim = with_app();
    let now = Utc::now().timestamp();
    let key = EncodingKey::from_rsa_pem(APP_PRIVATE_KEY.as_bytes()).unwrap();
    let other = EncodingKey::from_rsa_pem(OTHER_PRIVATE_KEY.as_bytes()).unwrap();
    let good = |changes: Value| {
        let mut claims = claims(json!(APP_ID));
        for (k, v) in changes.as_object().unwrap() {
            if v.is_null() {
                claims.as_object_mut().unwrap().remove(k);
            } else {
                claims[k] = v.clone();
            }
        }
        sign(Algorithm::RS256, &key, &claims)
    };
    let undecodable = "A JSON web token could not be decoded";
    let bad_exp = "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires";
    let far_exp = "'Expiration time' claim ('exp') is too far in the future";
    let bad_iat = "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued";
    let unsigned = format!(
        "{}.{}.",
        base64_url(r#"{"alg":"none","typ":"JWT"}"#),
        base64_url(&claims(json!(APP_ID)).to_string())
    );
    let hs256 = sign(
        Algorithm::HS256,
        &EncodingKey::from_secret(b"secret"),
        &claims(json!(APP_ID)),
    );
    let cases = [
        (
            "expired",
            good(json!({"iat": now - 700, "exp": now - 100})),
            bad_exp,
        ),
        ("no exp", good(json!({"exp": null})), bad_exp),
        ("exp text", good(json!({"exp": "soon"})), bad_exp),
        (
            "exp 11 min after iat",
            good(json!({"iat": now - 60, "exp": now + 600})),
            far_exp,
        ),
        (
            "exp 11 min from now",
            good(json!({"iat": now + 30, "exp": now + 610})),
            far_exp,
        ),
        (
            "iat 2 min ahead",
            good(json!({"iat": now + 120, "exp": now + 300})),
            bad_iat,
        ),
        ("no iat", good(json!({"iat": null})), bad_iat),
        (
            "iss not a number",
            good(json!({"iss": "Iv1.abc"})),
            "'Issuer' claim ('iss') must be an Integer",
        ),
        (
            "no iss",
            good(json!({"iss": null})),
            "'Issuer' claim ('iss') must be an Integer",
        ),
        (
            "unknown app",
            good(json!({"iss": 1})),
            "Integration not found",
        ),
        (
            "other key",
            sign(Algorithm::RS256, &other, &claims(json!(APP_ID))),
            undecodable,
        ),
        ("HS256", hs256, undecodable),
        ("alg none", unsigned, undecodable),
        ("garbage", "not.a.jwt".to_owned(), undecodable),
    ];
    for (name, jwt, message) in &cases {
        assert_eq!(
            get_app_with(&sim, jwt).await,
            (401, (*message).to_owned()),
            "{name}"
        );
    }
    assert_eq!(
        get_app_with(&sim, &good(json!({}))).await.0,
        200,
        "numeric iss"
    );

    let seen = sim.app_jwts();
    assert_eq!(seen.len(), cases.len() + 1);
    assert!(seen[..cases.len()].iter().all(|r| !r.accepted));
    assert_eq!(seen[0].refusal.as_deref(), Some(bad_exp));
    let algs: Vec<Option<&str>> = seen[10..13].iter().map(|r| r.alg.as_deref()).collect();
    assert_eq!(algs, [Some("RS256"), Some("HS256"), Some("none")]);
    assert_eq!(
        seen[12].iss,
        Some(APP_ID),
        "refused tokens are recorded with their claims"
    );
    assert_eq!(seen[13].claims, None);
}

/// `text` in unpadded base64url.
fn base64_url(text: &str) -> String {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
    URL_SAFE_NO_PAD.encode(text)
}

#[actix_web::test]
async fn an_installation_token_is_accepted_on_rest_routes_until_it_expires() {
    let sim = with_app();
    sim.set_token_lifetime(Duration::from_secs(2));
    let served = serve(sim);
    let app = served.with_token(&app_jwt());
    let body = CreateInstallationAccessToken::default();
    let token = app
        .apps()
        .create_installation_access_token(InstallationId(INSTALLATION), &body)
        .await
        .unwrap();
    assert!(token.token.starts_with("ghs_"));
    assert_eq!(token.repository_selection.as_deref(), Some("all"));
    assert_eq!(token.permissions.contents.as_deref(), Some("write"));
    let expires = chrono::DateTime::parse_from_rfc3339(token.expires_at.as_deref().unwrap())
        .unwrap()
        .timestamp();
    assert!(
        (expires - Utc::now().timestamp() - 2).abs() <= 1,
        "{expires}"
    );
    assert_eq!(served.sim.token_requests(INSTALLATION), 1);

    let installed = served.with_token(&token.token);
    let repo = installed.repos(OWNER, REPO).get().await.unwrap();
    assert_eq!(repo.name, REPO);
    let made_up = served
        .with_token("ghs_made-up")
        .repos(OWNER, REPO)
        .get()
        .await;
    assert_eq!(
        github_error(made_up.unwrap_err()),
        (401, "Bad credentials".to_owned())
    );
    let jwt_on_rest = served.with_token(&app_jwt()).repos(OWNER, REPO).get().await;
    assert_eq!(github_error(jwt_on_rest.unwrap_err()).0, 401);

    actix_web::rt::time::sleep(Duration::from_millis(2100)).await;
    let expired = installed.repos(OWNER, REPO).get().await.unwrap_err();
    assert_eq!(github_error(expired), (401, "Bad credentials".to_owned()));

    served.sim.add_personal_token("ghp_personal");
    let personal = served
        .with_token("ghp_personal")
        .repos(OWNER, REPO)
        .get()
        .await;
    assert_eq!(personal.unwrap().name, REPO);
    served.stop().await;
}

#[actix_web::test]
async fn tokens_are_not_checked_unless_asked_and_anonymous_access_still_applies() {
    let sim = Simulator::new(SimulatorOptions {
        allow_anonymous: true,
    });
    sim.learn("issues", &payload("issues/opened.payload.json"));
    let anonymous = TestRequest::get().uri(&repo_path(""));
    assert_eq!(send(&sim, anonymous).await.status, 200);
    let any = TestRequest::get()
        .uri(&repo_path(""))
        .insert_header(("authorization", "token anything"));
    assert_eq!(send(&sim, any).await.status, 200);

    sim.set_token_checking(true);
    let anonymous = TestRequest::get().uri(&repo_path(""));
    assert_eq!(send(&sim, anonymous).await.status, 200);
    let any = TestRequest::get()
        .uri(&repo_path(""))
        .insert_header(("authorization", "token anything"));
    let refused = send(&sim, any).await;
    assert_eq!(refused.status, 401);
    assert_eq!(refused.json["message"], "Bad credentials");
    assert_eq!(sim.write_count(), 0);
}

#[actix_web::test]
async fn a_suspended_installation_gets_a_403_and_an_unknown_one_a_404() {
    let sim = with_app();
    let body = CreateInstallationAccessToken::default();
    let served = serve(sim);
    let app = served.with_token(&app_jwt());
    app.apps()
        .suspend_installation(InstallationId(INSTALLATION))
        .await
        .unwrap();
    let suspended = app
        .apps()
        .create_installation_access_token(InstallationId(INSTALLATION), &body)
        .await
        .unwrap_err();
    assert_eq!(
        github_error(suspended),
        (403, "This installation has been suspended".to_owned())
    );
    let listed = app.apps().installation(InstallationId(INSTALLATION)).await;
    assert!(listed.is_ok());
    assert!(served.sim.issue_token(INSTALLATION).is_none());

    app.apps()
        .unsuspend_installation(InstallationId(INSTALLATION))
        .await
        .unwrap();
    app.apps()
        .create_installation_access_token(InstallationId(INSTALLATION), &body)
        .await
        .unwrap();
    let unknown = app
        .apps()
        .create_installation_access_token(InstallationId(9), &body)
        .await
        .unwrap_err();
    assert_eq!(github_error(unknown).0, 404);
    assert_eq!(served.sim.token_requests(INSTALLATION), 2);
    assert_eq!(served.sim.token_requests(9), 1);
    assert_eq!(served.sim.write_count(), 0, "token requests are not writes");
    served.stop().await;
}

#[actix_web::test]
async fn a_token_for_selected_repositories_lists_them_and_refuses_others() {
    let sim = with_app();
    assert!(sim.add_installation(
        &NewInstallation::new(INSTALLATION, APP_ID, OWNER).repositories(&[REPO])
    ));
    let served = serve(sim);
    let app = served.with_token(&app_jwt());
    let token = app
        .apps()
        .create_installation_access_token(
            InstallationId(INSTALLATION),
            &CreateInstallationAccessToken::default(),
        )
        .await
        .unwrap();
    assert_eq!(token.repository_selection.as_deref(), Some("selected"));
    assert_eq!(token.repositories.unwrap()[0].name, REPO);
    let other: Result<Value, _> = app
        .post(
            format!("/app/installations/{INSTALLATION}/access_tokens"),
            Some(&json!({"repositories": ["private-thing"], "permissions": {"contents": "read"}})),
        )
        .await;
    assert_eq!(github_error(other.unwrap_err()).0, 422);
    let narrowed: Value = app
        .post(
            format!("/app/installations/{INSTALLATION}/access_tokens"),
            Some(&json!({"repositories": [REPO], "permissions": {"contents": "read"}})),
        )
        .await
        .unwrap();
    assert_eq!(narrowed["permissions"], json!({"contents": "read"}));
    served.stop().await;
}

#[actix_web::test]
async fn an_app_registered_with_its_private_key_accepts_its_jwts() {
    let sim = Simulator::new(SimulatorOptions::default());
    sim.register_app(&NewApp::new(APP_ID, APP_PRIVATE_KEY))
        .unwrap();
    assert_eq!(get_app_with(&sim, &app_jwt()).await.0, 200);
    assert!(sim.register_app(&NewApp::new(1, "not a key")).is_err());
    assert!(!sim.add_installation(&NewInstallation::new(1, 999, OWNER)));
}

#[actix_web::test]
async fn apps_installations_and_tokens_are_seeded_through_control_routes() {
    let sim = Simulator::new(SimulatorOptions::default());
    sim.learn("issues", &payload("issues/opened.payload.json"));
    let post = |uri: &str, body: Value| TestRequest::post().uri(uri).set_json(body);
    let app = json!({"id": APP_ID, "key_pem": APP_PUBLIC_KEY, "slug": "helper"});
    let created = send(&sim, post("/_simulator/apps", app)).await;
    assert_eq!(created.status, 201);
    assert_eq!(created.json["slug"], "helper");
    let bad = send(
        &sim,
        post("/_simulator/apps", json!({"id": 1, "key_pem": "x"})),
    )
    .await;
    assert_eq!(bad.status, 422);
    let installation =
        json!({"id": INSTALLATION, "app_id": APP_ID, "account": OWNER, "suspended": true});
    let created = send(&sim, post("/_simulator/installations", installation)).await;
    assert_eq!(created.status, 201);
    assert!(created.json["suspended_at"].is_string());
    let settings = json!({"checking": true, "lifetime_secs": 60});
    let put = TestRequest::put()
        .uri("/_simulator/tokens")
        .set_json(settings);
    assert_eq!(send(&sim, put).await.status, 204);
    let suspended_token = format!("/_simulator/installations/{INSTALLATION}/tokens");
    assert_eq!(
        send(&sim, TestRequest::post().uri(&suspended_token))
            .await
            .status,
        404
    );
    let lift = TestRequest::put()
        .uri(&format!(
            "/_simulator/installations/{INSTALLATION}/suspended"
        ))
        .set_json(json!({"suspended": false}));
    assert_eq!(send(&sim, lift).await.status, 204);
    let issued = send(&sim, TestRequest::post().uri(&suspended_token)).await;
    let token = issued.json["token"].as_str().unwrap().to_owned();
    let use_it = TestRequest::get()
        .uri(&repo_path(""))
        .insert_header(("authorization", format!("token {token}")));
    assert_eq!(send(&sim, use_it).await.status, 200);
    let personal = post("/_simulator/personal_tokens", json!({"token": "ghp_x"}));
    assert_eq!(send(&sim, personal).await.status, 204);
    let use_it = TestRequest::get()
        .uri(&repo_path(""))
        .insert_header(("authorization", "Bearer ghp_x"));
    assert_eq!(send(&sim, use_it).await.status, 200);

    get_app_with(&sim, &app_jwt()).await;
    let jwts = send(&sim, TestRequest::get().uri("/_simulator/app_jwts")).await;
    assert_eq!(jwts.json[0]["accepted"], true);
    assert_eq!(jwts.json[0]["alg"], "RS256");
}

#[actix_web::test]
async fn apps_installations_and_tokens_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("github.json");
    let open = || {
        Simulator::with_persistence(SimulatorOptions::default(), file.clone())
            .unwrap()
            .with_token_checking()
    };
    let sim = open();
    sim.learn("issues", &payload("issues/opened.payload.json"));
    sim.register_app(&NewApp::new(APP_ID, APP_PRIVATE_KEY))
        .unwrap();
    sim.add_installation(&NewInstallation::new(INSTALLATION, APP_ID, OWNER));
    let token = sim.issue_token(INSTALLATION).unwrap();
    drop(sim);
    let saved = std::fs::read_to_string(&file).unwrap();
    assert!(
        !saved.contains("PRIVATE KEY"),
        "only the public half is saved"
    );

    let sim = open();
    assert_eq!(get_app_with(&sim, &app_jwt()).await.0, 200);
    let use_it = TestRequest::get()
        .uri(&repo_path(""))
        .insert_header(("authorization", format!("token {token}")));
    assert_eq!(send(&sim, use_it).await.status, 200);
}
