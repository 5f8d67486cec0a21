//! The `pegboard` binary's inspection commands, run as a real process
//! (SPEC C1 inspection part; D3 for the default features).

use std::path::PathBuf;
use std::process::{Command, Output};

fn pegboard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pegboard"))
        .args(args)
        .env_remove("PEGBOARD__PLUGINS__STORE__MEMORY__CAPACITY")
        .output()
        .expect("the binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn temp_file(name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pegboard-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

const DEFAULT_IDS: [&str; 5] = [
    "classifier.keywords",
    "classifier.language",
    "routes.stats",
    "store.file",
    "store.memory",
];

#[test]
fn plugins_list_json_has_every_default_plugin_with_metadata() {
    let out = pegboard(&["plugins", "list", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let list: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, DEFAULT_IDS);
    let stats = &list[2];
    assert_eq!(stats["crate"], "routes-stats");
    assert_eq!(stats["version"], "0.1.0");
    assert_eq!(stats["api"], "0.1");
    assert_eq!(stats["state"], "configured");
    assert_eq!(stats["dependencies"][0]["spec"], "store.memory@^0.1?");
    assert!(
        stats["source"]["file"]
            .as_str()
            .unwrap()
            .ends_with("lib.rs")
    );
}

#[test]
fn plugins_list_table_has_one_row_per_plugin() {
    let out = pegboard(&["plugins", "list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    for col in [
        "ID",
        "VERSION",
        "API",
        "CRATE",
        "SOURCE",
        "STATE",
        "DEPENDS ON",
    ] {
        assert!(header.contains(col), "{header}");
    }
    for id in DEFAULT_IDS {
        assert!(text.lines().any(|l| l.starts_with(id)), "{id} in\n{text}");
    }
}

#[test]
fn plugins_graph_shows_order_and_edges() {
    let out = pegboard(&["plugins", "graph"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(
            "level 0: classifier.keywords, classifier.language, store.file, store.memory"
        ),
        "{text}"
    );
    assert!(text.contains("level 1: routes.stats"), "{text}");
    assert!(
        text.contains("routes.stats -> store.memory (optional)"),
        "{text}"
    );

    let out = pegboard(&["plugins", "graph", "--dot"]);
    let dot = stdout(&out);
    assert!(dot.starts_with("digraph pegboard {"), "{dot}");
    assert!(
        dot.contains("\"routes.stats\" -> \"store.memory\" [style=dashed];"),
        "{dot}"
    );
    assert!(dot.trim_end().ends_with('}'));
}

#[test]
fn config_default_is_accepted_by_config_check() {
    let out = pegboard(&["config", "default"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("[plugins.store.memory]"), "{text}");
    // Every field under its doc comment; the host's sections commented out.
    for needle in [
        "\n# The most documents kept; a put beyond it fails.\ncapacity = ",
        "\n# [server]\n# # Largest request body accepted; larger ones get 413.\n# body_limit_bytes = 1048576\n# # Address to listen on (`--listen` overrides it); port 0 picks a free one.\n# listen = \"127.0.0.1:8080\"\n",
        "\n# [remote]\n",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
    let path = temp_file("default.toml", &text);
    let out = pegboard(&["config", "check", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("valid (5 plugins, 0 disabled)"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn config_check_prints_every_error_and_fails() {
    let path = temp_file(
        "broken.toml",
        r#"
[plugins.store.memory]
capacity = 0
colour = "red"

[plugins.classifier.keywords]
max_tags = "many"

[plugins.store.memroy]
"#,
    );
    let out = pegboard(&["config", "check", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    for needle in [
        "/plugins/store/memory/capacity",
        "minimum",
        "/plugins/store/memory/colour",
        "/plugins/classifier/keywords/max_tags",
        "did you mean `store.memory`",
    ] {
        assert!(err.contains(needle), "{needle} missing from:\n{err}");
    }
}

#[test]
fn config_check_reports_parse_errors_with_line_and_column() {
    let path = temp_file("syntax.toml", "[plugins.store.memory]\ncapacity = = 3\n");
    let out = pegboard(&["config", "check", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("line 2, column"), "{}", stderr(&out));
}

#[test]
fn config_schema_accepts_the_default_config_and_rejects_a_broken_one() {
    let out = pegboard(&["config", "schema"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let schema: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();

    let default = stdout(&pegboard(&["config", "default"]));
    let default: toml::Table = toml::from_str(&default).unwrap();
    let default = serde_json::to_value(default).unwrap();
    assert!(validator.is_valid(&default), "the default config validates");

    let mut broken = default.clone();
    broken["plugins"]["store"]["memory"]["capacity"] = serde_json::json!("lots");
    assert!(!validator.is_valid(&broken));
    let mut unknown = default;
    unknown["plugins"]["store"]["nope"] = serde_json::json!({});
    assert!(!validator.is_valid(&unknown));
}

/// With `--log-format json` every line the host writes is JSON: its own
/// messages are `host.*` events on stderr, stdout stays empty.
#[test]
fn run_starts_the_plugins_and_stops_them_on_sigterm() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    use std::sync::mpsc;

    let dir = std::env::temp_dir().join(format!("pegboard-run-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pegboard"))
        .current_dir(&dir)
        .args(["--log-format=json", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stderr_pipe = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr_pipe).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut lines = Vec::new();
    let started = loop {
        let line = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("the app reports its plugins");
        lines.push(line.clone());
        let event: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        if event["fields"]["message"] == "host.started" {
            break event;
        }
    };
    assert_eq!(started["fields"]["running"], 5, "{started}");
    assert_eq!(started["fields"]["total"], 5, "{started}");

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), "", "nothing but JSON: stdout stays empty");
    // Everything it logged: the reader thread ends at end of output.
    lines.extend(rx.iter());
    let events: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let named = |name: &'static str| {
        events
            .iter()
            .filter(move |e| e["fields"]["message"] == name)
    };
    assert_eq!(named("host.listening").count(), 1, "{lines:#?}");
    assert_eq!(named("host.stopped").count(), 1, "{lines:#?}");
    assert!(
        named("plugin.lifecycle.stopped").any(
            |e| e["fields"]["state"] == "stopped" && e["fields"]["plugin_id"] == "store.memory"
        ),
        "{lines:#?}"
    );
}

#[test]
fn a_plugin_disabled_in_the_config_file_is_listed_disabled() {
    let path = temp_file("disabled.toml", "[plugins.store.memory]\nenabled = false\n");
    let out = pegboard(&[
        "--config",
        path.to_str().unwrap(),
        "plugins",
        "list",
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let list: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let state = |id: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .unwrap()["state"]
            .clone()
    };
    assert_eq!(state("store.memory"), "disabled");
    // routes.stats depends on either store optionally, so it is not blocked.
    assert_eq!(state("routes.stats"), "configured");
    assert_eq!(state("store.file"), "configured");
}

#[test]
fn the_example_config_is_valid() {
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pegboard.example.toml");
    let out = pegboard(&["config", "check", example.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn plugins_declared_in_remote_are_listed_with_their_location() {
    let config = temp_file(
        "remote.toml",
        r#"
[remote]
token = "s3cret"

[remote.plugins."classifier.far"]
location = "remote"
version = "^1"

# A declared plugin has a section like any other.
[plugins.classifier.far]
supervision = { health_interval_ms = 500 }
"#,
    );
    let check = pegboard(&["config", "check", config.to_str().unwrap()]);
    assert!(check.status.success(), "{}", stderr(&check));
    let out = pegboard(&[
        "--config",
        config.to_str().unwrap(),
        "plugins",
        "list",
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let list: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let far = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "classifier.far")
        .expect("the declared plugin is listed");
    assert_eq!(far["location"], "remote");
    assert_eq!(far["remote"]["connection"], "not_announced");
    assert_eq!(far["remote"]["requirement"], "^1");
    // Before it announces, its version is what it is declared with; its
    // API as compiled-in plugins show theirs.
    assert_eq!(far["version"], "^1");
    assert_eq!(far["api"], "0.1");
    let keywords = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "classifier.keywords")
        .unwrap();
    assert_eq!(keywords["location"], "in_process");
    assert_eq!(keywords["api"], far["api"]);

    // A kind the host does not accept remotely is refused, naming it.
    let config = temp_file(
        "remote-store.toml",
        r#"
[remote.plugins."store.far"]
location = "remote"
"#,
    );
    let out = pegboard(&["--config", config.to_str().unwrap(), "plugins", "list"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("store.far") && stderr(&out).contains("classifier"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn run_goes_on_when_a_local_plugin_binary_is_missing() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    use std::sync::mpsc;

    let dir = std::env::temp_dir().join(format!("pegboard-run-missing-{}", std::process::id()));
    let bin = dir.join("plugins.d");
    std::fs::create_dir_all(bin.join("sentiment").join("v0.0.9")).unwrap();
    let config = dir.join("missing.toml");
    std::fs::write(
        &config,
        r#"
[remote]
plugin_dir = "plugins.d"

[remote.plugins."classifier.sentiment"]
location = "local_process"
version = "^0.1"
"#,
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pegboard"))
        .current_dir(&dir)
        .args(["--listen", "127.0.0.1:0", "--config"])
        .arg(&config)
        .arg("run")
        .env("PEGBOARD_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut printed = Vec::new();
    loop {
        let line = match rx.recv_timeout(std::time::Duration::from_secs(60)) {
            Ok(line) => line,
            Err(e) => {
                let _ = child.kill();
                let out = child.wait_with_output().unwrap();
                panic!("{e}: {printed:#?}\n{}", stderr(&out));
            }
        };
        printed.push(line);
        // The host serves first; the table and the count follow the start.
        if printed.iter().any(|l| l.contains("plugins running")) {
            break;
        }
    }
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = printed.join("\n");
    assert!(text.contains("\n5 of 6 plugins running"), "{text}");
    let row = printed
        .iter()
        .find(|l| l.starts_with("classifier.sentiment "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(row.contains("failed") && row.contains("^0.1"), "{row}");
    let why = printed
        .iter()
        .find(|l| l.starts_with("classifier.sentiment: "))
        .unwrap_or_else(|| panic!("{text}"));
    for needle in [
        "no binary matching ^0.1 (searched plugins.d/sentiment/<version>/sentiment-plugin",
        "plugins.d/sentiment/v<version>/sentiment-plugin",
        "versions found: none",
        "plugins.d/sentiment/v0.0.9: no `<name>-plugin` binary in it",
    ] {
        assert!(why.contains(needle), "`{needle}` not in: {why}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
