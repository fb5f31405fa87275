//! The dashboard end to end in a real headless Chromium, driven from these tests
//! through WebDriver (Debian's `chromium` and `chromedriver`, which `./dev setup`
//! installs): the first admin created at run time signs in; a maintainer makes a
//! policy `ask`, a sandbox event is held, the maintainer approves it on the
//! approvals page and the simulator sees the action once; a viewer sees no write
//! controls and a forged POST from their browser is refused.
//!
//! With `GANTRY_SCREENSHOTS=DIR` the tests save PNGs of the pages they visit into
//! DIR (`docs/screenshots/` holds the ones the docs show).
mod webdriver;

use std::path::PathBuf;

use gantry_server::auth::Role;
use serde_json::json;

use crate::helpers::{spawn_app, AppOptions, TestApp, TEST_PASSWORD};
use webdriver::{Browser, Driver};

/// Saves a screenshot as `name`.png when `GANTRY_SCREENSHOTS` names a directory.
async fn screenshot(browser: &Browser, name: &str) {
    let Some(dir) = std::env::var_os("GANTRY_SCREENSHOTS").map(PathBuf::from) else {
        return;
    };
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.png")), browser.screenshot().await).unwrap();
}

/// Signs `login` in through the sign-in form.
async fn sign_in(app: &TestApp, browser: &Browser, login: &str, password: &str) {
    browser.goto(&format!("{}/login", app.address)).await;
    let field = browser.find("input[name=login]").await;
    browser.type_into(&field, login).await;
    let field = browser.find("input[name=password]").await;
    browser.type_into(&field, password).await;
    let button = browser.find("form.sign-in button[type=submit]").await;
    browser.click(&button).await;
}

/// Runs `gantry` with `args` on the app's database, feeding `stdin`; returns stdout.
fn gantry_cli(app: &TestApp, args: &[&str], stdin: &str) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new(crate::process::gantry_bin())
        .args(args)
        .env("GANTRY_DATABASE__URL", &app.state.settings.database.url)
        .env("GANTRY_DATA_DIR", app.dir.path())
        .env("GANTRY_SECRETS__KEY", crate::helpers::TEST_KEY)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "gantry {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_admin_is_created_at_run_time_and_signs_in_to_the_dashboard() {
    let app = spawn_app(AppOptions::default()).await;
    let driver = Driver::start().await;
    let browser = driver.session().await;

    // Nobody exists yet: the dashboard sends the browser to sign in, and no
    // account can sign in.
    browser.goto(&format!("{}/dashboard", app.address)).await;
    browser.find("form.sign-in").await;
    assert!(
        browser.url().await.contains("/login"),
        "{}",
        browser.url().await
    );
    screenshot(&browser, "sign-in").await;

    // The operator creates the first admin with the CLI, on the running server's
    // database.
    let password = "a long first admin password";
    let out = gantry_cli(
        &app,
        &["admin", "create", "--login", "root", "--password-stdin"],
        &format!("{password}\n"),
    );
    assert!(out.contains("root"), "{out}");

    // A wrong password is refused on the form; the right one opens the dashboard.
    sign_in(&app, &browser, "root", "not the password at all").await;
    browser.find("form.sign-in p.error").await;
    sign_in(&app, &browser, "root", password).await;
    browser.find("header.top .who").await;
    assert!(
        browser.url().await.ends_with("/dashboard"),
        "{}",
        browser.url().await
    );
    let who = browser
        .text(&browser.find("header.top .who span").await)
        .await;
    assert!(who.contains("root") && who.contains("admin"), "{who}");
    screenshot(&browser, "overview").await;
    for (page, name) in [
        ("/dashboard/plugins", "plugins"),
        ("/dashboard/policies", "policies"),
        ("/dashboard/audit", "audit"),
        ("/dashboard/deliveries", "deliveries"),
    ] {
        browser.goto(&format!("{}{page}", app.address)).await;
        browser.find("main#content h1").await;
        screenshot(&browser, name).await;
    }
    // Sign-in success and failure are both in the audit log.
    for action in ["auth.login", "auth.login_failed"] {
        let rows = gantry_server::db::audit::with_action(&app.state.db, action)
            .await
            .unwrap();
        assert_eq!(rows.len(), 1, "{action}: {rows:?}");
        assert_eq!(rows[0].actor, "root");
    }
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_sees_no_write_controls_and_a_forged_post_from_their_browser_is_refused() {
    let app = spawn_app(AppOptions::default()).await;
    app.create_user("val", Some(Role::Viewer)).await;
    let driver = Driver::start().await;
    let browser = driver.session().await;
    sign_in(&app, &browser, "val", TEST_PASSWORD).await;
    browser.find("header.top .who").await;

    for page in [
        "/dashboard",
        "/dashboard/policies",
        "/dashboard/approvals",
        "/dashboard/plugins",
        "/dashboard/deliveries",
        "/dashboard/audit",
    ] {
        browser.goto(&format!("{}{page}", app.address)).await;
        browser.find("main#content h1").await;
        // The only form that writes is signing out.
        let writes = browser
            .script(
                "return [...document.querySelectorAll('main form[method=post], main [hx-post], main [hx-put], main [hx-delete]')].map(e => e.outerHTML.slice(0, 120))",
                json!([]),
            )
            .await;
        assert_eq!(writes, json!([]), "write controls on {page} for a viewer");
    }

    // A forged POST from the viewer's own browser, with their valid CSRF token, to
    // add a policy: refused with 403, and nothing is added.
    browser
        .goto(&format!("{}/dashboard/policies", app.address))
        .await;
    let rules_before = gantry_server::policy::store::all(&app.state.db)
        .await
        .unwrap()
        .len();
    let status = browser
        .script_async(
            "const done = arguments[arguments.length - 1];
             const token = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token'];
             fetch('/dashboard/policies', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
                 body: 'csrf=' + encodeURIComponent(token) + '&scope=global&capability=issues:write&effect=allow' })
               .then(r => done(r.status), e => done(String(e)));",
            json!([]),
        )
        .await;
    assert_eq!(status, json!(403));
    assert_eq!(
        gantry_server::policy::store::all(&app.state.db)
            .await
            .unwrap()
            .len(),
        rules_before,
        "nothing added"
    );
    browser.quit().await;
}

/// Fills the text input `name` of the page's form with `value`.
async fn fill(browser: &Browser, name: &str, value: &str) {
    let field = browser.find(&format!("main form input[name={name}]")).await;
    browser.clear(&field).await;
    browser.type_into(&field, value).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_maintainer_makes_a_write_ask_and_approves_the_held_action_once_in_the_browser() {
    const OWNER: &str = "octo-org";
    const NAME: &str = "sandbox";
    let app = spawn_app(AppOptions::default()).await;
    app.create_user("mia", Some(Role::Maintainer)).await;
    let driver = Driver::start().await;
    let browser = driver.session().await;
    sign_in(&app, &browser, "mia", TEST_PASSWORD).await;
    browser.find("header.top .who").await;

    // The policy: the hooks plugin's label writes on the sandbox repository ask.
    browser
        .goto(&format!("{}/dashboard/policies", app.address))
        .await;
    fill(&browser, "scope", &format!("repo:{OWNER}/{NAME}")).await;
    fill(&browser, "plugin", "hooks").await;
    fill(&browser, "capability", "issues:write").await;
    browser.click(&browser.find("main form select[name=effect] option[value=ask], main form select[name=effect] option:nth-child(2)").await).await;
    browser
        .click(
            &browser
                .find("main form[action='/dashboard/policies'] button[type=submit]")
                .await,
        )
        .await;
    browser.wait_for_text(&format!("repo:{OWNER}/{NAME}")).await;
    screenshot(&browser, "policies-ask").await;

    // A sandbox event: an issue opened on the repository, which the hooks plugin
    // labels `needs-triage` by default; the label write is held, not made.
    browser
        .goto(&format!("{}/dashboard/sandbox", app.address))
        .await;
    fill(&browser, "repository", &format!("{OWNER}/{NAME}")).await;
    browser
        .click(
            &browser
                .find("main form[action='/dashboard/sandbox/send'] button[type=submit]")
                .await,
        )
        .await;
    browser.find("main#content h1").await;
    app.wait_for_idle_queue(std::time::Duration::from_secs(30))
        .await;
    let labels_path = format!("/repos/{OWNER}/{NAME}/issues/1/labels");
    assert_eq!(
        app.sim.request_count("POST", &labels_path),
        0,
        "held, not made"
    );

    // The maintainer approves it on the approvals page.
    browser
        .goto(&format!("{}/dashboard/approvals", app.address))
        .await;
    browser.wait_for_text("issues:write").await;
    screenshot(&browser, "approvals").await;
    let reason = browser
        .find("main form[action$='/approve'] input[name=reason]")
        .await;
    browser.type_into(&reason, "triage label is fine").await;
    browser
        .click(
            &browser
                .find("main form[action$='/approve'] button[type=submit]")
                .await,
        )
        .await;
    browser.wait_for_text("triage label is fine").await;

    // The simulator saw the action exactly once, and the label is there.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while app.sim.request_count("POST", &labels_path) == 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(app.sim.request_count("POST", &labels_path), 1);
    assert!(app
        .sim
        .issue_labels(OWNER, NAME, 1)
        .unwrap_or_default()
        .contains(&"needs-triage".to_owned()));
    // Reloading the page and clicking nothing more changes nothing.
    browser
        .goto(&format!("{}/dashboard/approvals", app.address))
        .await;
    assert!(
        browser
            .find_all("main form[action$='/approve']")
            .await
            .is_empty(),
        "nothing left to approve"
    );
    assert_eq!(app.sim.request_count("POST", &labels_path), 1);
    let approved = gantry_server::db::audit::with_action(&app.state.db, "approval.approved")
        .await
        .unwrap();
    assert_eq!(approved.len(), 1, "{approved:?}");
    assert_eq!(approved[0].actor, "mia");
    browser.quit().await;
}
