//! The command line run in-process: `config check`, `config schema` and
//! `config default` against a host section and pegboard's own settings.

use std::path::PathBuf;

use super::builder::Cli;
use super::failed::INVALID;

#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Server {
    port: u16,
}

fn cli(env: &[(&str, &str)]) -> Cli {
    Cli::new("host")
        .descriptors(Vec::new())
        .env(env.iter().copied())
        .section::<Server>("server")
}

fn run(cli: &Cli, args: &[&str]) -> (u8, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = cli.run(
        std::iter::once("host").chain(args.iter().copied()),
        &mut out,
        &mut err,
    );
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

fn file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pegboard-cli-unit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn config_check_accepts_host_and_settings_sections() {
    let path = file(
        "good.toml",
        "[server]\nport = 80\n\n[supervision]\nstart_timeout_ms = 5\n[supervision.restart]\npolicy = \"never\"\n",
    );
    let (code, out, err) = run(&cli(&[]), &["config", "check", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("valid (0 plugins, 0 disabled)"), "{out}");
}

#[test]
fn config_check_reports_host_sections_and_settings_one_per_line() {
    let path = file(
        "bad.toml",
        "[server]\nport = \"http\"\n\n[sevrer]\n\n[supervision]\nstart_timeout_ms = 0\n",
    );
    let cli = cli(&[("PEGBOARD_TIMEOUT_NOPE_MS", "1")]);
    let (code, _, err) = run(&cli, &["config", "check", path.to_str().unwrap()]);
    assert_eq!(code, INVALID);
    let lines: Vec<&str> = err.lines().collect();
    assert!(lines[0].ends_with("4 error(s):"), "{err}");
    for needle in [
        "  - environment variable `PEGBOARD_TIMEOUT_NOPE_MS` names no known plugin kind",
        "  - /sevrer: unknown section `sevrer` (did you mean `server`?) (rule: unknown_section)",
        "  - /server/port: \"http\" is not of type \"integer\" (rule: type)",
        "  - /supervision/start_timeout_ms: 0 is less than the minimum of 1 (rule: minimum)",
    ] {
        assert!(
            lines.iter().any(|l| l.starts_with(needle)),
            "{needle} missing from:\n{err}"
        );
    }
    assert_eq!(lines.len(), 5, "{err}");
}

#[test]
fn config_schema_and_default_include_the_settings() {
    let (code, out, err) = run(&cli(&[]), &["config", "schema"]);
    assert_eq!(code, 0, "{err}");
    let schema: serde_json::Value = serde_json::from_str(&out).unwrap();
    for section in ["plugins", "supervision", "dispatch", "server"] {
        assert!(schema["properties"][section].is_object(), "{section}");
    }
    let (code, out, _) = run(&cli(&[]), &["config", "default"]);
    assert_eq!(code, 0);
    assert!(out.contains("[supervision]\n"), "{out}");
    assert!(out.contains("[supervision.restart]\n"), "{out}");
    let path = file("default.toml", &out);
    let (code, _, err) = run(&cli(&[]), &["config", "check", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn a_host_prefix_names_the_variables_checked_and_an_invalid_one_is_refused() {
    let path = file("prefix.toml", "[server]\nport = 80\n");
    let path = path.to_str().unwrap();
    // The host's own variables are read, with their names in the messages;
    // pegboard's are not read at all.
    let sift = cli(&[
        ("SIFT_PLUGIN_TIMEOUT_NOPE_MS", "5"),
        ("PEGBOARD_TIMEOUT_NOPE_MS", "5"),
    ])
    .env_prefix("SIFT_PLUGIN");
    let (code, _, err) = run(&sift, &["config", "check", path]);
    assert_eq!(code, INVALID, "{err}");
    assert!(err.contains("`SIFT_PLUGIN_TIMEOUT_NOPE_MS`"), "{err}");
    assert!(!err.contains("PEGBOARD_TIMEOUT_NOPE_MS"), "{err}");
    assert!(err.contains("1 error(s)"), "{err}");

    let (code, _, err) = run(&cli(&[]).env_prefix("sift"), &["config", "check", path]);
    assert_eq!(code, super::failed::USAGE, "{err}");
    assert!(
        err.contains("`sift` cannot prefix environment variables"),
        "{err}"
    );
}
