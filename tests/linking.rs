//! D3: enabling a plugin crate's cargo feature in the app is the only step
//! needed to include it, with both registration backends; a disabled one is
//! absent. Builds the real `pegboard` binary with different features (in its
//! own target directory, so it never waits for the lock of the outer build).

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Cargo in `dir`, building in the nested target dir that the linking tests
/// share (so they never wait for the lock of the outer build).
fn nested_cargo(dir: &Path) -> Command {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(dir).env(
        "CARGO_TARGET_DIR",
        workspace().join("target").join("nested"),
    );
    cmd
}

/// `cargo run -p pegboard-app <features> -- <args>`, returning stdout.
fn run_app(features: &[&str], target: &str, args: &[&str]) -> String {
    let mut cmd = nested_cargo(&workspace());
    cmd.args([
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

// ---- every kind of dependency (issue 13, points 2 and 3) --------------------
//
// `tests/fixtures/link-host` is a workspace of its own: a host whose plugin
// crates are a plain, a renamed, two workspace-inherited, a `cfg(unix)`, a
// `cfg(windows)`, an optional and a dev-dependency, none named in code; a
// host with two crates registering the same (kind, name); a host with a
// target-triple table. Built in the shared nested target dir.

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/link-host")
}

/// `cargo <args>` in the fixture workspace, with this build's backend.
fn fixture_cargo(args: &[&str], package: &str, features: &[&str]) -> std::process::Output {
    let mut features: Vec<&str> = features.to_vec();
    if pegboard::discover::BACKEND == "inventory" && package != "triple-host" {
        features.push("inventory");
    }
    let mut cmd = nested_cargo(&fixture());
    cmd.env("RUST_BACKTRACE", "0")
        .args(args.iter().take_while(|a| **a != "--"))
        .args(["--quiet", "--locked", "-p", package]);
    if !features.is_empty() {
        cmd.args(["--features", &features.join(",")]);
    }
    if let Some(i) = args.iter().position(|a| *a == "--") {
        // What follows `--` goes to the program, after cargo's own options.
        cmd.args(&args[i..]);
    }
    cmd.output().expect("cargo runs")
}

fn fixture_stdout(args: &[&str], package: &str, features: &[&str]) -> String {
    let out = fixture_cargo(args, package, features);
    assert!(
        out.status.success(),
        "cargo {args:?} -p {package} {features:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

const LINKED: &[&str] = &[
    "greeter.normal",
    "greeter.own-lib",
    "greeter.renamed",
    "greeter.renamed-ws",
    "greeter.unix",
    "greeter.workspace",
];

#[test]
fn link_plugins_links_every_kind_of_dependency_under_its_cfg() {
    // The binary: every dependency whose cfg holds, and the package's own
    // library; not the `cfg(windows)` one, the optional one (feature off) or
    // the dev-dependency.
    let out = fixture_stdout(&["run", "--bin", "link-host"], "link-host", &[]);
    let mut lines = out.lines();
    assert_eq!(
        lines.next().unwrap_or("").split(' ').collect::<Vec<_>>(),
        LINKED
    );
    let crates: Vec<&str> = lines.next().unwrap_or("").split(' ').collect();
    for name in [
        "p_normal",
        "renamed",
        "p_workspace",
        "renamed_ws",
        "p_unix",
        "link_host",
    ] {
        assert!(
            crates.contains(&name),
            "`{name}` not in Linked::crates: {crates:?}"
        );
    }
    for name in ["p_windows", "p_optional", "p_dev"] {
        assert!(
            !crates.contains(&name),
            "`{name}` in Linked::crates: {crates:?}"
        );
    }

    // Its feature is the only step for the optional one.
    let out = fixture_stdout(&["run", "--bin", "link-host"], "link-host", &["opt"]);
    assert!(
        out.lines()
            .next()
            .unwrap_or("")
            .split(' ')
            .any(|id| id == "greeter.optional"),
        "{out}"
    );

    // An example sees the dev-dependencies too.
    let out = fixture_stdout(&["run", "--example", "list"], "link-host", &[]);
    let mut expected: Vec<&str> = LINKED.to_vec();
    expected.insert(0, "greeter.dev");
    assert_eq!(out.trim().split(' ').collect::<Vec<_>>(), expected);

    // The library's and the binary's unit tests, an integration test and a
    // bench assert the same from inside (see the fixture).
    fixture_stdout(
        &["test", "--lib", "--bins", "--tests", "--benches"],
        "link-host",
        &[],
    );
    // And the binary has a composition check it did not write.
    let listed = fixture_stdout(
        &["test", "--bin", "link-host", "--", "--list"],
        "link-host",
        &[],
    );
    assert!(
        listed.contains("__pegboard_link_plugins::composition_is_sound: test"),
        "{listed}"
    );
}

#[test]
fn a_duplicate_across_crates_fails_the_hosts_own_cargo_test() {
    let out = fixture_cargo(&["test"], "dup-host", &[]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !out.status.success(),
        "cargo test of a host with a duplicate passed:\n{text}"
    );
    assert!(
        text.contains("__pegboard_link_plugins::composition_is_sound"),
        "{text}"
    );
    assert!(
        text.contains("plugin `greeter.twin` is registered more than once")
            && text.contains("p-twin-a plugins/p-twin-a/src/lib.rs:4")
            && text.contains("p-twin-b plugins/p-twin-b/src/lib.rs:4"),
        "the failure does not name both sources:\n{text}"
    );
}

#[test]
fn a_target_triple_table_is_a_compile_error_naming_the_dependency() {
    let out = fixture_cargo(&["build"], "triple-host", &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "a target-triple dependency compiled:\n{err}"
    );
    assert!(
        err.contains(
            "pegboard::link_plugins!() cannot link `p-normal` from [target.'x86_64-unknown-linux-gnu'.dependencies]"
        ) && err.contains("[target.'cfg(...)'.dependencies]"),
        "{err}"
    );
}
