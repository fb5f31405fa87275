//! The command line says which database it opens: in an empty folder it names the
//! default file and a reading command creates nothing; in a folder where a sandbox
//! ran it uses the sandbox's database (or the one `--sandbox DIR` names), and an
//! uninitialised database is explained with the fix.
use std::path::Path;
use std::process::{Command, Output};

/// Runs `gantry` in `dir` with none of the caller's `GANTRY_*` settings.
fn gantry(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(crate::process::gantry_bin());
    command.current_dir(dir).args(args);
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("GANTRY_")) {
        command.env_remove(key);
    }
    command.envs(env.iter().copied()).output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn in_an_empty_folder_a_reading_command_names_the_missing_database_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = gantry(dir.path(), &["deliveries", "list"], &[]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("gantry: using the SQLite database .gantry/gantry.db"),
        "{err}"
    );
    assert!(
        err.contains("there is no database at .gantry/gantry.db"),
        "{err}"
    );
    assert!(
        err.contains("--sandbox") && err.contains("gantry migrate"),
        "{err}"
    );
    assert!(!dir.path().join(".gantry/gantry.db").exists());
    // The error is one plain line, not a log record.
    assert_eq!(
        err.lines().filter(|l| l.starts_with("error: ")).count(),
        1,
        "{err}"
    );
}

#[test]
fn an_existing_database_without_tables_is_reported_as_not_initialised() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".gantry")).unwrap();
    std::fs::write(dir.path().join(".gantry/gantry.db"), b"").unwrap();
    let out = gantry(dir.path(), &["deliveries", "list"], &[]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("the SQLite database .gantry/gantry.db is not initialised"),
        "{err}"
    );
}

#[test]
fn in_a_sandboxs_folder_commands_use_the_sandboxs_database_and_say_so() {
    let dir = tempfile::tempdir().unwrap();
    // A database where a sandbox keeps its own (as `gantry sandbox` would leave it).
    let made = gantry(
        dir.path(),
        &["migrate"],
        &[("GANTRY_DATA_DIR", ".gantry/sandbox")],
    );
    assert!(made.status.success(), "{}", stderr(&made));
    assert!(stderr(&made).contains("using the SQLite database .gantry/sandbox/gantry.db"));

    for args in [&["deliveries", "list"][..], &["plugin", "list"][..]] {
        let out = gantry(dir.path(), args, &[]);
        assert!(out.status.success(), "gantry {args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("using the SQLite database .gantry/sandbox/gantry.db (the sandbox's, found in this folder"),
            "gantry {args:?}: {err}"
        );
    }
    assert!(!dir.path().join(".gantry/gantry.db").exists());

    // --sandbox DIR names another sandbox's folder; one without a database is refused.
    let out = gantry(
        dir.path(),
        &["--sandbox", "elsewhere", "plugin", "list"],
        &[],
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("no sandbox database at elsewhere/gantry.db"),
        "{}",
        stderr(&out)
    );
    let out = gantry(dir.path(), &["plugin", "list", "--sandbox"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(".gantry/sandbox/gantry.db (--sandbox)"),
        "{}",
        stderr(&out)
    );
}
