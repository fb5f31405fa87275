//! Which database a command opens: the settings' choice, `--sandbox`, or a sandbox
//! found in the folder; and how it is named.
use super::*;

fn touch(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, b"").unwrap();
}

#[test]
fn with_nothing_chosen_the_default_database_is_used_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let db = CliDatabase::choose(Settings::default(), false, None, dir.path()).unwrap();
    assert_eq!(db.name, "SQLite database .gantry/gantry.db");
}

#[test]
fn a_sandbox_in_the_folder_is_used_when_nothing_chose_a_database_and_its_key_comes_along() {
    let dir = tempfile::tempdir().unwrap();
    touch(&dir.path().join(".gantry/sandbox/gantry.db"));
    std::fs::write(
        dir.path().join(".gantry/sandbox/secrets.key"),
        "k".repeat(44) + "\n",
    )
    .unwrap();
    let db = CliDatabase::choose(Settings::default(), false, None, dir.path()).unwrap();
    assert!(
        db.name.starts_with(
            "SQLite database .gantry/sandbox/gantry.db (the sandbox's, found in this folder"
        ),
        "{}",
        db.name
    );
    assert_eq!(
        db.settings.secrets.key.as_ref().map(Secret::expose),
        Some("k".repeat(44).as_str())
    );

    // A settings file, a data folder or a URL of one's own is never overridden.
    let db = CliDatabase::choose(Settings::default(), true, None, dir.path()).unwrap();
    assert_eq!(db.name, "SQLite database .gantry/gantry.db");
    let mut settings = Settings::default();
    settings.database.url = "postgres://gantry:pw@db:5432/gantry".into();
    let db = CliDatabase::choose(settings, false, None, dir.path()).unwrap();
    assert_eq!(
        db.name,
        "PostgreSQL database postgres://gantry:***@db:5432/gantry"
    );

    // Nor is a database already at the default place.
    touch(&dir.path().join(".gantry/gantry.db"));
    let db = CliDatabase::choose(Settings::default(), false, None, dir.path()).unwrap();
    assert_eq!(db.name, "SQLite database .gantry/gantry.db");
}

#[test]
fn sandbox_names_a_folder_and_a_folder_without_a_sandbox_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let err = CliDatabase::choose(
        Settings::default(),
        false,
        Some(Path::new("sb")),
        dir.path(),
    )
    .unwrap_err();
    assert!(
        format!("{err:#}").contains("no sandbox database at"),
        "{err:#}"
    );
    touch(&dir.path().join("sb/gantry.db"));
    let db =
        CliDatabase::choose(Settings::default(), true, Some(Path::new("sb")), dir.path()).unwrap();
    assert_eq!(db.name, "SQLite database sb/gantry.db (--sandbox)");
}

#[test]
fn a_missing_table_is_explained_as_a_database_never_initialised() {
    let db = CliDatabase::choose(Settings::default(), true, None, Path::new(".")).unwrap();
    let err = db.explain(anyhow::anyhow!(
        "error returned from database: (code: 1) no such table: deliveries"
    ));
    let text = format!("{err:#}");
    assert!(
        text.contains("the SQLite database .gantry/gantry.db is not initialised"),
        "{text}"
    );
    assert!(
        text.contains("gantry migrate") && text.contains("--sandbox"),
        "{text}"
    );
    let err = db.explain(anyhow::anyhow!("no plugin named `x` is installed"));
    assert_eq!(
        format!("{err:#}"),
        "in the SQLite database .gantry/gantry.db: no plugin named `x` is installed"
    );
}
