//! D3: enabling a plugin crate's cargo feature in the app is the only step
//! needed to include it, with both registration backends; a disabled one is
//! absent. Builds the real `pegboard` binary with different features (in its
//! own target directory, so it never waits for the lock of the outer build).

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `cargo run -p pegboard-app <features> -- <args>`, returning stdout.
fn run_app(features: &[&str], target: &str, args: &[&str]) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace())
        .env(
            "CARGO_TARGET_DIR",
            workspace().join("target").join("nested"),
        )
        .args([
            "run",
            "--quiet",
            "--locked",
            "-p",
            "pegboard-app",
            "--no-default-features",
        ]);
    if !features.is_empty() {
        cmd.args(["--features", &features.join(",")]);
    }
    cmd.args(target.split_whitespace()).arg("--").args(args);
    let out = cmd.output().expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo run {features:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

fn listed_ids(features: &[&str]) -> Vec<String> {
    let json = run_app(features, "--bin pegboard", &["plugins", "list", "--json"]);
    let plugins: serde_json::Value = serde_json::from_str(&json).expect("JSON list");
    plugins
        .as_array()
        .expect("an array")
        .iter()
        .map(|p| p["id"].as_str().expect("id").to_owned())
        .collect()
}

#[test]
fn enabled_plugin_features_are_listed_and_disabled_ones_are_not() {
    assert_eq!(listed_ids(&["store-memory"]), ["store.memory"]);
    assert_eq!(
        listed_ids(&["store-memory", "classifier-keywords", "routes-stats"]),
        ["classifier.keywords", "routes.stats", "store.memory"]
    );
    // The same with the inventory backend.
    assert_eq!(
        listed_ids(&["inventory", "store-file", "classifier-keywords"]),
        ["classifier.keywords", "store.file"]
    );
    // And the pitfall is real: a binary that does not name the plugin crates
    // sees none of them.
    let unlinked = run_app(
        &["store-memory", "classifier-keywords"],
        "--example unlinked",
        &[],
    );
    assert_eq!(unlinked.trim(), "0");
}
