//! The file, `extends`, ceilings, merges and schemas, without GitHub: bases are
//! read from a map.
use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Value};

use super::chain::{self, Layer, MAX_DEPTH};
use super::evaluate::{diff, evaluate, source_of, touches, Known};
use super::file::{self, Problem};
use crate::config::RepositoryConfigSettings;
use crate::services::installed::config::merge_patch;
use crate::wasm_host::Manifest;

fn manifest(name: &str, schema: Option<Value>) -> Manifest {
    let m = toml::from_str::<Manifest>(&format!("name = \"{name}\"\nversion = \"0.1.0\"")).unwrap();
    Manifest {
        config_schema: schema,
        ..m
    }
}

/// A hooks-like schema: `rules` (a list of objects with `label`) and `greeting`.
fn hooks_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "greeting": {"type": "string"},
            "rules": {"type": "array", "items": {"type": "object", "required": ["label"],
                "properties": {"label": {"type": "string"}}}},
            "limits": {"type": "object", "properties": {
                "max": {"type": "integer"}, "min": {"type": "integer"}}}
        },
        "additionalProperties": false
    })
}

/// Reads the chain of `text` as `repo`'s file with bases from `files`.
async fn load(
    repo: &str,
    text: &str,
    files: &HashMap<&str, Result<&str, &str>>,
) -> Result<Vec<Layer>, Problem> {
    let parsed = file::parse(text).unwrap();
    let files: HashMap<String, Result<String, String>> = files
        .iter()
        .map(|(k, v)| {
            (
                k.to_string(),
                (*v).map(str::to_owned).map_err(str::to_owned),
            )
        })
        .collect();
    chain::load(repo, parsed, |base| {
        let answer = match files.get(&base) {
            None => Ok(None),
            Some(Ok(text)) => Ok(Some(text.clone())),
            Some(Err(why)) => match why.strip_prefix("outside: ") {
                Some(why) => Err(chain::Unread::NotReadable(why.to_owned())),
                None => Err(chain::Unread::Failed(why.clone())),
            },
        };
        async move { answer }
    })
    .await
}

fn evaluate_with(
    layers: &[Layer],
    settings: &RepositoryConfigSettings,
    manifests: &[(Manifest, bool)],
) -> Result<super::Patches, Vec<Problem>> {
    let known: BTreeMap<String, Known<'_>> = manifests
        .iter()
        .map(|(m, enabled)| {
            (
                m.name.clone(),
                Known {
                    manifest: enabled.then_some(m),
                    admin: json!({"greeting": "hi", "limits": {"max": 5, "min": 1}}),
                },
            )
        })
        .collect();
    evaluate(layers, &known, settings)
}

fn enabled() -> RepositoryConfigSettings {
    RepositoryConfigSettings {
        enabled: true,
        ..RepositoryConfigSettings::default()
    }
}

#[test]
fn yaml_becomes_json_with_the_line_of_every_key() {
    let text = "# comment\nhooks:\n  greeting: 'hello'\n  rules:\n    - label: bug\n      when: 3\n  flag: yes\n  n: 1.5\n  empty:\n";
    let doc = file::parse_yaml(text).unwrap();
    assert_eq!(
        doc.value,
        json!({"hooks": {"greeting": "hello", "rules": [{"label": "bug", "when": 3}], "flag": "yes", "n": 1.5, "empty": null}})
    );
    assert_eq!(doc.line_of("/hooks"), Some(2));
    assert_eq!(doc.line_of("/hooks/greeting"), Some(3));
    assert_eq!(doc.line_of("/hooks/rules/0/label"), Some(5));
    assert_eq!(doc.line_of("/hooks/rules/0/when"), Some(6));
    assert_eq!(
        doc.line_of("/hooks/rules/0"),
        Some(4),
        "a list item without its own key: the list's line"
    );
    assert_eq!(doc.line_of("/nothing"), None);
}

#[test]
fn a_yaml_syntax_error_names_its_line() {
    let err = file::parse("hooks:\n  greeting: hi\n  rules: [a, b\n  other: 1\n").unwrap_err();
    assert_eq!(err.len(), 1);
    assert!(err[0].message.starts_with("YAML syntax:"), "{err:?}");
    assert!(matches!(err[0].line, Some(3..=5)), "{err:?}");
    let err = file::parse("hooks:\n  a: 1\n  a: 2\n").unwrap_err();
    assert_eq!(err[0].line, Some(3), "{err:?}");
    assert!(err[0].message.contains("`a` is set twice"), "{err:?}");
    let err = file::parse("base: &b {x: 1}\nhooks: *b\n").unwrap_err();
    assert!(err[0].message.contains("aliases"), "{err:?}");
    let err = file::parse("- a\n- b\n").unwrap_err();
    assert!(err[0].message.contains("must be a mapping"), "{err:?}");
    let err = file::parse("extends: not a repo\nhooks: 3\n").unwrap_err();
    assert_eq!(err.len(), 2, "{err:?}");
    assert_eq!((err[0].line, err[1].line), (Some(1), Some(2)));
    assert!(
        file::parse("").unwrap().plugins.is_empty(),
        "an empty file sets nothing"
    );
}

#[test]
fn merge_patches_merge_objects_replace_lists_and_remove_nulls() {
    let mut admin =
        json!({"greeting": "hi", "rules": [{"label": "a"}], "limits": {"max": 5, "min": 1}});
    merge_patch(
        &mut admin,
        &json!({"rules": [{"label": "b"}], "limits": {"min": null, "max": 9}}),
    );
    assert_eq!(
        admin,
        json!({"greeting": "hi", "rules": [{"label": "b"}], "limits": {"max": 9}})
    );
}

#[tokio::test]
async fn extends_merges_the_bases_deeply_under_the_file_and_records_each_values_source() {
    let files = HashMap::from([
        (
            "org/.github",
            Ok("extends: org/root\nhooks:\n  limits:\n    max: 7\n  greeting: from org\n"),
        ),
        (
            "org/root",
            Ok("hooks:\n  limits:\n    min: 2\n  rules:\n    - label: root\n"),
        ),
    ]);
    let layers = load(
        "org/app",
        "extends: org/.github\nhooks:\n  greeting: from app\n",
        &files,
    )
    .await
    .unwrap();
    assert_eq!(
        layers.iter().map(|l| l.repo.as_str()).collect::<Vec<_>>(),
        ["org/app", "org/.github", "org/root"]
    );
    let m = manifest("hooks", Some(hooks_schema()));
    let patches = evaluate_with(&layers, &enabled(), &[(m, true)]).unwrap();
    let hooks = &patches["hooks"];
    assert_eq!(
        hooks.patch,
        json!({"greeting": "from app", "limits": {"max": 7, "min": 2}, "rules": [{"label": "root"}]})
    );
    assert_eq!(source_of(&hooks.sources, "/greeting"), Some("org/app"));
    assert_eq!(
        source_of(&hooks.sources, "/limits/max"),
        Some("org/.github")
    );
    assert_eq!(source_of(&hooks.sources, "/limits/min"), Some("org/root"));
    assert_eq!(source_of(&hooks.sources, "/rules"), Some("org/root"));
    assert_eq!(
        source_of(&hooks.sources, "/other"),
        None,
        "Gantry's own value"
    );
}

#[tokio::test]
async fn an_extends_cycle_is_an_error_naming_the_chain() {
    let files = HashMap::from([
        ("org/a", Ok("extends: org/b\n")),
        ("org/b", Ok("extends: ORG/app\n")),
    ]);
    let err = load("org/app", "hooks: {}\nextends: org/a\n", &files)
        .await
        .unwrap_err();
    assert_eq!(err.line, Some(2));
    assert!(
        err.message.contains("cycle")
            && err.message.contains("org/app -> org/a -> org/b -> ORG/app"),
        "{err}"
    );
    let own = load("org/app", "extends: org/app\n", &HashMap::new())
        .await
        .unwrap_err();
    assert!(own.message.contains("cycle"), "{own}");
}

#[tokio::test]
async fn a_missing_or_unreadable_base_is_an_error_naming_the_chain() {
    let files = HashMap::from([
        ("org/a", Ok("extends: org/gone\n")),
        ("org/down", Err("temporarily unavailable: 502")),
    ]);
    let err = load("org/app", "extends: org/a\n", &files)
        .await
        .unwrap_err();
    assert_eq!(err.line, Some(1));
    assert!(
        err.message.contains("org/gone has no .github/gantry.yml")
            && err.message.contains("chain: org/app -> org/a -> org/gone"),
        "{err}"
    );
    let err = load("org/app", "extends: org/down\n", &files)
        .await
        .unwrap_err();
    assert!(
        err.message
            .contains("could not be read: temporarily unavailable: 502"),
        "{err}"
    );
    let broken = HashMap::from([("org/bad", Ok("hooks: [1\n"))]);
    let err = load("org/app", "extends: org/bad\n", &broken)
        .await
        .unwrap_err();
    assert!(
        err.message.contains("org/bad's .github/gantry.yml: line")
            && err.message.contains("YAML syntax"),
        "{err}"
    );
}

#[tokio::test]
async fn a_base_outside_the_repositorys_installation_is_not_readable_whatever_it_holds() {
    let files = HashMap::from([(
        "elsewhere/.github",
        Err("outside: elsewhere/.github is not in this repository's installation"),
    )]);
    let err = load("org/app", "hooks: {}\nextends: elsewhere/.github\n", &files)
        .await
        .unwrap_err();
    assert_eq!(err.line, Some(2));
    assert!(
        err.message.contains("base elsewhere/.github not readable")
            && err
                .message
                .contains("not in this repository's installation")
            && err.message.contains("chain: org/app -> elsewhere/.github"),
        "{err}"
    );
    assert!(!err.message.contains("could not be read"), "{err}");
}

#[tokio::test]
async fn extends_is_followed_to_three_bases_and_no_further() {
    let files = HashMap::from([
        ("o/b1", Ok("extends: o/b2\n")),
        ("o/b2", Ok("extends: o/b3\n")),
        ("o/b3", Ok("hooks:\n  greeting: deep\n")),
    ]);
    let layers = load("o/app", "extends: o/b1\n", &files).await.unwrap();
    assert_eq!(layers.len(), 1 + MAX_DEPTH);
    let deeper = HashMap::from([
        ("o/b1", Ok("extends: o/b2\n")),
        ("o/b2", Ok("extends: o/b3\n")),
        ("o/b3", Ok("extends: o/b4\n")),
        ("o/b4", Ok("hooks: {}\n")),
    ]);
    let err = load("o/app", "extends: o/b1\n", &deeper).await.unwrap_err();
    assert!(
        err.message.contains("deeper than 3")
            && err
                .message
                .contains("o/app -> o/b1 -> o/b2 -> o/b3 -> o/b4"),
        "{err}"
    );
}

#[tokio::test]
async fn the_file_can_neither_name_an_unknown_plugin_nor_configure_one_not_enabled_here() {
    let text = "hooks:\n  greeting: x\nci:\n  jobs: []\npolicies:\n  allow: all\nnope: {}\n";
    let layers = load("o/app", text, &HashMap::new()).await.unwrap();
    let hooks = manifest("hooks", Some(hooks_schema()));
    let ci = manifest("ci", None);
    let err = evaluate_with(&layers, &enabled(), &[(hooks, true), (ci, false)]).unwrap_err();
    let lines: Vec<_> = err.iter().map(|p| p.line).collect();
    assert_eq!(lines, [Some(3), Some(5), Some(7)], "{err:?}");
    assert!(
        err[0]
            .message
            .contains("plugin `ci` is not enabled on this repository"),
        "{err:?}"
    );
    assert!(
        err[1].message.contains("`policies` is not a plugin")
            && err[1].message.contains("never in this file"),
        "{err:?}"
    );
    assert!(
        err[2].message.contains("`nope` is not a plugin installed"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_base_may_name_plugins_this_repository_does_not_enable() {
    let files = HashMap::from([(
        "o/.github",
        Ok("ci:\n  jobs: []\nhooks:\n  greeting: org\n"),
    )]);
    let layers = load("o/app", "extends: o/.github\n", &files).await.unwrap();
    let patches = evaluate_with(
        &layers,
        &enabled(),
        &[
            (manifest("hooks", Some(hooks_schema())), true),
            (manifest("ci", None), false),
        ],
    )
    .unwrap();
    assert_eq!(patches.keys().collect::<Vec<_>>(), ["hooks"]);
}

#[tokio::test]
async fn ceilings_refuse_plugins_and_keys_the_admin_keeps() {
    let layers = load(
        "o/app",
        "hooks:\n  greeting: x\n  limits:\n    max: 9\n",
        &HashMap::new(),
    )
    .await
    .unwrap();
    let hooks = || manifest("hooks", Some(hooks_schema()));
    let only_ci = RepositoryConfigSettings {
        plugins: vec!["ci".into()],
        ..enabled()
    };
    let err = evaluate_with(&layers, &only_ci, &[(hooks(), true)]).unwrap_err();
    assert!(
        err[0]
            .message
            .contains("may not be configured from the repository"),
        "{err:?}"
    );
    assert_eq!(err[0].line, Some(1));
    let kept = RepositoryConfigSettings {
        admin_keys: BTreeMap::from([("hooks".into(), vec!["/limits/max".into(), "rules".into()])]),
        ..enabled()
    };
    let err = evaluate_with(&layers, &kept, &[(hooks(), true)]).unwrap_err();
    assert_eq!(err.len(), 1, "{err:?}");
    assert_eq!(err[0].line, Some(4), "{err:?}");
    assert!(
        err[0].message.contains("/limits/max") && err[0].message.contains("admin only"),
        "{err:?}"
    );
    let layers = load("o/app", "hooks:\n  limits:\n    min: 3\n", &HashMap::new())
        .await
        .unwrap();
    assert!(
        evaluate_with(&layers, &kept, &[(hooks(), true)]).is_ok(),
        "a sibling key is the file's"
    );
    assert!(
        touches(&json!({"limits": null}), "/limits/max"),
        "removing the parent touches it"
    );
    assert!(
        touches(&json!({"limits": 3}), "/limits/max"),
        "replacing the parent touches it"
    );
    assert!(!touches(&json!({"limits": {"min": 1}}), "/limits/max"));
    assert!(touches(&json!({"rules": []}), "rules"));
}

#[tokio::test]
async fn a_schema_violation_is_an_error_at_its_line() {
    let text = "hooks:\n  greeting: hi\n  rules:\n    - label: 3\n  limits:\n    max: many\n";
    let layers = load("o/app", text, &HashMap::new()).await.unwrap();
    let err = evaluate_with(
        &layers,
        &enabled(),
        &[(manifest("hooks", Some(hooks_schema())), true)],
    )
    .unwrap_err();
    assert_eq!(err.len(), 1, "one problem per plugin: {err:?}");
    assert!(
        err[0]
            .message
            .contains("does not match the plugin's schema"),
        "{err:?}"
    );
    assert!(err[0].message.contains("is not of type"), "{err:?}");
    assert!(matches!(err[0].line, Some(4) | Some(6)), "{err:?}");
    let layers = load("o/app", "hooks:\n  unknown_option: 1\n", &HashMap::new())
        .await
        .unwrap();
    let err = evaluate_with(
        &layers,
        &enabled(),
        &[(manifest("hooks", Some(hooks_schema())), true)],
    )
    .unwrap_err();
    assert!(err[0].message.contains("unknown_option"), "{err:?}");
}

#[test]
fn the_change_summary_lists_keys_added_changed_and_removed() {
    let change = diff(
        &json!({"a": 1, "b": {"c": 2, "d": 3}, "e": [1]}),
        &json!({"a": 1, "b": {"c": 5}, "e": [1, 2], "f": true}),
    );
    assert_eq!(change.added, ["/f"]);
    assert_eq!(change.changed, ["/b/c", "/e"]);
    assert_eq!(change.removed, ["/b/d"]);
    assert!(diff(&json!({"a": 1}), &json!({"a": 1})).is_empty());
}

#[test]
fn a_push_counts_only_on_the_default_branch_and_when_it_touches_the_file() {
    let push = |r#ref: &str, files: &[&str]| {
        json!({"ref": r#ref, "repository": {"default_branch": "main"},
               "commits": [{"added": [], "modified": files, "removed": []}]})
    };
    let main =
        super::github::pushed_default_branch(&push("refs/heads/main", &[file::PATH])).unwrap();
    assert!(main.touches_file);
    assert_eq!(main.branch, "main");
    let other =
        super::github::pushed_default_branch(&push("refs/heads/main", &["README.md"])).unwrap();
    assert!(!other.touches_file);
    assert_eq!(
        super::github::pushed_default_branch(&push("refs/heads/feature", &[file::PATH])),
        None,
        "another branch's file never counts"
    );
}

#[test]
fn the_refresh_clock_reads_a_repository_again_only_when_due() {
    let clock = super::RefreshClock::default();
    let minute = std::time::Duration::from_secs(60);
    assert!(clock.due("o/a", minute));
    assert!(!clock.due("o/a", minute));
    assert!(clock.due("o/b", minute));
    assert!(clock.due("o/a", std::time::Duration::ZERO));
}

/// `docs/` of the repository.
fn docs(path: &str) -> String {
    let at = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../docs")
        .join(path);
    std::fs::read_to_string(&at).unwrap_or_else(|e| panic!("{}: {e}", at.display()))
}

/// The fenced blocks of `language` in a markdown text.
fn blocks(text: &str, language: &str) -> Vec<String> {
    let fence = format!("```{language}");
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match &mut current {
            None if line.trim() == fence => current = Some(String::new()),
            None => {}
            Some(_) if line.trim() == "```" => out.extend(current.take()),
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
        }
    }
    out
}

#[test]
fn the_documented_schema_is_json_schema_and_every_documented_file_parses_and_matches_it() {
    let schema: Value = serde_json::from_str(&docs("schemas/gantry.yml.schema.json")).unwrap();
    assert!(
        jsonschema::meta::is_valid(&schema),
        "not a valid JSON Schema"
    );
    let validator = jsonschema::validator_for(&schema).unwrap();
    let doc = docs("repository-config.md");
    let examples = blocks(&doc, "yaml");
    assert!(examples.len() >= 2, "the doc shows the file and extends");
    for example in &examples {
        let parsed = file::parse(example).unwrap_or_else(|e| panic!("{e:?}\n{example}"));
        assert!(!parsed.plugins.is_empty(), "{example}");
        let value = file::parse_yaml(example).unwrap().value;
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{errors:?}\n{example}");
    }
    for bad in ["extends: [a, b]\n", "extends: not-a-repo\n", "hooks: 3\n"] {
        let value = file::parse_yaml(bad).unwrap().value;
        assert!(!validator.is_valid(&value), "{bad}");
    }
    for settings in blocks(&doc, "toml") {
        let parsed: crate::config::Settings = toml::from_str(&settings).unwrap();
        assert!(parsed.repository_config.enabled);
        assert_eq!(parsed.repository_config.admin_keys("hooks"), ["/rules"]);
    }
}

#[test]
fn the_onboarding_proposal_lists_each_option_commented_out_with_its_description_and_default() {
    let schema = json!({"type": "object", "properties": {
        "greeting": {"type": "string", "description": "What to say.", "default": "hi"},
        "rules": {"type": "array", "description": "Rules."},
        "name": {"type": "string"},
        "limits": {"type": "object", "description": "Limits.", "properties": {
            "max": {"type": "integer", "default": 3},
            "min": {"type": "integer"}}}
    }});
    let mut hooks = manifest("hooks", Some(schema));
    hooks.description = "Rules on events.".into();
    hooks.default_config = Some(json!({"rules": [{"label": "x"}]}));
    let settings = RepositoryConfigSettings {
        admin_keys: BTreeMap::from([("hooks".into(), vec!["/limits/min".into()])]),
        ..enabled()
    };
    let text = super::onboarding::proposal(&[&hooks], &settings);
    assert!(
        file::parse(&text).unwrap().plugins.is_empty(),
        "as proposed, nothing is set: {text}"
    );
    assert!(
        text.contains("# hooks: Rules on events.\n# hooks:\n"),
        "{text}"
    );
    assert!(
        text.contains("#   # What to say.\n#   greeting: \"hi\"\n"),
        "{text}"
    );
    assert!(
        text.contains("#   # Rules.\n#   rules: [{\"label\":\"x\"}]\n"),
        "the plugin's default configuration: {text}"
    );
    assert!(text.contains("#   name:  # string, no default\n"), "{text}");
    assert!(text.contains("#   limits:\n"), "{text}");
    assert!(text.contains("#     max: 3\n"), "{text}");
    assert!(
        text.contains("#     # min: set by Gantry's admin only\n"),
        "{text}"
    );

    // Uncommented (each line without its leading `# `), it is the plugin's
    // configuration, its defaults spelled out.
    let uncommented: String = text
        .lines()
        .skip_while(|l| *l != "# hooks:")
        .map(|l| format!("{}\n", l.strip_prefix("# ").unwrap_or(l)))
        .collect();
    let parsed = file::parse(&uncommented).unwrap();
    assert_eq!(parsed.plugins.len(), 1, "{uncommented}");
    assert_eq!(
        parsed.plugins[0].1,
        json!({"greeting": "hi", "rules": [{"label": "x"}], "name": null, "limits": {"max": 3}}),
        "{uncommented}"
    );
}
