//! D9: release builds with LTO (fat, thin), any codegen-units and other
//! linkers list the same plugins as the debug build, with both backends.
//!
//! Builds the scratch host of `tests/fixtures/profile-host` (its own
//! workspace: three plugin crates that only `link_plugins!()` names, one of
//! them optional, one plugin in a module nothing else uses) in every
//! variant and compares `host plugins list --json` with the debug build's.
//!
//! Slow (it compiles pegboard several times), so `cargo test --workspace`
//! skips it (`test = false` in Cargo.toml); CI runs it once, it covers both
//! backends itself: `cargo test -p pegboard-tests --test profiles`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// What every build must list (the debug build is checked against it too,
/// so an empty or short listing can never be the reference).
const EXPECTED: [&str; 5] = [
    "counter.alpha",
    "counter.beta",
    "counter.gamma",
    "greeter.alpha",
    "greeter.beta",
];

/// The crates whose code takes part in registering and discovering plugins:
/// the codegen-units variants apply to these (third-party crates keep the
/// release profile's settings, so their builds are shared by all variants).
const REGISTERING: [&str; 7] = [
    "host",
    "kinds",
    "alpha",
    "beta",
    "gamma",
    "pegboard",
    "pegboard-core",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Backend {
    Linkme,
    Inventory,
}

impl Backend {
    fn features(self) -> [&'static str; 3] {
        match self {
            Backend::Linkme => ["--no-default-features", "--features", "linkme,extra"],
            Backend::Inventory => ["--no-default-features", "--features", "inventory,extra"],
        }
    }

    /// The crate the backend is; the other one must not be compiled at all.
    fn krate(self) -> &'static str {
        match self {
            Backend::Linkme => "linkme",
            Backend::Inventory => "inventory",
        }
    }

    fn other(self) -> Backend {
        match self {
            Backend::Linkme => Backend::Inventory,
            Backend::Inventory => Backend::Linkme,
        }
    }
}

struct Variant {
    name: &'static str,
    release: bool,
    /// `--config` values that change the release profile.
    profile: Vec<String>,
    /// Flags for the final crate only (`cargo rustc -- ...`), so only the
    /// host is rebuilt and relinked.
    final_crate: &'static [&'static str],
    /// Whether rust-lld (rustc's default on x86_64-unknown-linux-gnu)
    /// links it, checked in the binary so a linker flag that had no effect
    /// cannot pass for another linker.
    lld: bool,
}

fn variants(backend: Backend) -> Vec<Variant> {
    let per_crate = |key: &str, value: &str| -> Vec<String> {
        REGISTERING
            .iter()
            .chain([&backend.krate()])
            .map(|p| format!("profile.release.package.{p}.{key}={value}"))
            .collect()
    };
    let v = |name, release, profile, final_crate, lld| Variant {
        name,
        release,
        profile,
        final_crate,
        lld,
    };
    // An LTO link optimises the whole program at the final crate's
    // opt-level; at 3 that costs minutes per link here, at 1 it still
    // internalises every symbol and drops dead globals, which is where a
    // registration could be lost (opt-level 3 lists the same, checked by
    // hand when this test was written).
    let lto = || -> Vec<String> {
        vec![
            r#"profile.release.lto="fat""#.into(),
            "profile.release.package.host.opt-level=1".into(),
        ]
    };
    const BFD: &str = "-Clinker-features=-lld";
    vec![
        v("debug", false, vec![], &[], true),
        v("release", true, vec![], &[], true),
        v(
            "release, -Wl,--gc-sections",
            true,
            vec![],
            &["-Clink-arg=-Wl,--gc-sections"],
            true,
        ),
        v(
            "release, -Wl,-z,start-stop-gc",
            true,
            vec![],
            &["-Clink-arg=-Wl,-z,start-stop-gc"],
            true,
        ),
        v(
            "release, GNU ld (linker-features=-lld)",
            true,
            vec![],
            &[BFD],
            false,
        ),
        v(
            "release, GNU ld, -Wl,-z,start-stop-gc",
            true,
            vec![],
            &[BFD, "-Clink-arg=-Wl,-z,start-stop-gc"],
            false,
        ),
        v(
            "release, codegen-units = 1",
            true,
            per_crate("codegen-units", "1"),
            &[],
            true,
        ),
        v(
            "release, codegen-units = 256",
            true,
            per_crate("codegen-units", "256"),
            &[],
            true,
        ),
        v("release, lto = \"fat\"", true, lto(), &[], true),
        // Cargo compiles the dependencies of a fat and of a thin LTO build
        // alike (bitcode only), but files them under different hashes; with
        // the profile's lto = "fat" and `-C lto=thin` on the final crate,
        // which is what cargo passes for lto = "thin", they are built once.
        v(
            "release, lto = \"thin\"",
            true,
            lto(),
            &["-Clto=thin"],
            true,
        ),
    ]
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/profile-host")
}

struct Built {
    exe: PathBuf,
    /// Names of every crate compiled into the host.
    crates: Vec<String>,
}

/// Builds the host; on failure, cargo's diagnostics.
fn build(variant: &Variant, backend: Backend) -> Result<Built, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    // One target directory for every variant: artifacts are keyed by their
    // settings, so dependencies are built once per distinct setting.
    cmd.current_dir(fixture())
        .env("CARGO_TARGET_DIR", workspace().join("target/profile-host"))
        .args(["rustc", "-p", "host", "--bin", "host"])
        .args(["--message-format", "json-render-diagnostics"])
        .args(backend.features());
    if variant.release {
        cmd.arg("--release");
    }
    for value in &variant.profile {
        cmd.args(["--config", value]);
    }
    cmd.arg("--").args(variant.final_crate);
    let out = cmd.output().map_err(|e| format!("cannot run cargo: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!(
            "cargo failed ({}):\n{}",
            out.status,
            tail(&stderr, 60)
        ));
    }
    let mut exe = None;
    let mut crates = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if msg["reason"] != "compiler-artifact" {
            continue;
        }
        if let Some(name) = msg["target"]["name"].as_str() {
            crates.push(name.to_owned());
        }
        if let Some(path) = msg["executable"].as_str() {
            exe = Some(PathBuf::from(path));
        }
    }
    let exe = exe.ok_or_else(|| format!("cargo named no executable:\n{}", tail(&stderr, 60)))?;
    Ok(Built { exe, crates })
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// `plugins list --json`, one line per plugin with what must not change
/// between builds (everything but the timestamps).
fn listing(exe: &Path) -> Result<Vec<String>, String> {
    let out = Command::new(exe)
        .args(["plugins", "list", "--json"])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
    if !out.status.success() {
        return Err(format!(
            "plugins list --json failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let plugins: serde_json::Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("plugins list --json is not JSON: {e}"))?;
    let plugins = plugins
        .as_array()
        .ok_or_else(|| format!("plugins list --json is not an array: {plugins}"))?;
    Ok(plugins
        .iter()
        .map(|p| {
            let deps: Vec<&str> = p["dependencies"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|d| d["spec"].as_str())
                .collect();
            format!(
                "{} kind={} name={} version={} api={} crate={} {} source={}:{} description={} config={} deps={deps:?} capabilities={} location={} level={} state={}",
                p["id"],
                p["kind"],
                p["name"],
                p["version"],
                p["api"],
                p["crate"],
                p["crate_version"],
                p["source"]["file"],
                p["source"]["line"],
                p["description"],
                p["has_config"],
                p["capabilities"],
                p["location"],
                p["level"],
                p["state"],
            )
        })
        .collect())
}

fn ids(listing: &[String]) -> Vec<&str> {
    listing
        .iter()
        .map(|l| l.split(' ').next().unwrap_or("").trim_matches('"'))
        .collect()
}

/// Checks one build of one backend; `Err` says why it does not count.
fn check(variant: &Variant, backend: Backend, built: &Built) -> Result<Vec<String>, String> {
    let has = |c: &str| built.crates.iter().any(|k| k == c);
    if !has(backend.krate()) || has(backend.other().krate()) {
        return Err(format!(
            "not built with {} alone; crates: {:?}",
            backend.krate(),
            built.crates
        ));
    }
    let binary = std::fs::read(&built.exe)
        .map_err(|e| format!("cannot read {}: {e}", built.exe.display()))?;
    let lld = binary.windows(11).any(|w| w == b"Linker: LLD");
    if lld != variant.lld {
        return Err(format!(
            "expected {} to link it, but its .comment says otherwise",
            if variant.lld {
                "rust-lld"
            } else {
                "another linker than lld"
            }
        ));
    }
    listing(&built.exe)
}

#[test]
fn every_profile_and_linker_lists_the_same_plugins() {
    // The scratch host resolves exactly the versions the main workspace
    // locked (and needs no network for it); its own lock is never committed.
    std::fs::copy(workspace().join("Cargo.lock"), fixture().join("Cargo.lock"))
        .expect("copy Cargo.lock into tests/fixtures/profile-host");

    let mut reference: Option<Vec<String>> = None;
    let mut problems = Vec::new();
    let mut times: Vec<(String, Duration)> = Vec::new();
    let total = Instant::now();
    for backend in [Backend::Linkme, Backend::Inventory] {
        for variant in variants(backend) {
            let label = format!("{:?}, {}", backend, variant.name);
            let started = Instant::now();
            let built = build(&variant, backend);
            times.push((label.clone(), started.elapsed()));
            let listed = match built.and_then(|b| check(&variant, backend, &b)) {
                Ok(listed) => listed,
                Err(e) if reference.is_none() => {
                    panic!("{label}, the reference build, failed: {e}")
                }
                Err(e) => {
                    problems.push(format!("{label}: {e}"));
                    continue;
                }
            };
            match &reference {
                None => {
                    assert_eq!(
                        ids(&listed),
                        EXPECTED,
                        "{label} (the reference) lists other plugins:\n{}",
                        listed.join("\n")
                    );
                    reference = Some(listed);
                }
                Some(expected) if *expected != listed => problems.push(format!(
                    "{label} lists other plugins than Linkme, debug.\n  debug:\n    {}\n  {label}:\n    {}",
                    expected.join("\n    "),
                    listed.join("\n    ")
                )),
                Some(_) => {}
            }
        }
    }
    let mut report = String::new();
    for (label, time) in &times {
        let _ = writeln!(report, "{:>7.1}s  {label}", time.as_secs_f64());
    }
    let _ = writeln!(report, "{:>7.1}s  total", total.elapsed().as_secs_f64());
    println!("{report}");
    assert!(
        problems.is_empty(),
        "{} of {} builds differ from the debug build or failed:\n\n{}\n\ntimes:\n{report}",
        problems.len(),
        times.len(),
        problems.join("\n\n")
    );
}
