//! Composition: a registry where half of the plugins are broken in different
//! ways still serves the healthy half, and reports every failure (issue 2,
//! item 11; SPEC D4, D5, D7, O2-O4, V2 at run time, V4, V5).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};

use pegboard::config::Document;
use pegboard::{Failure, PluginDescriptor, PluginState, Registry};

#[pegboard::kind]
pub trait Greeter {
    fn greet(&self, who: &str) -> String;
}

#[pegboard::kind(name = "counter")]
pub trait Count {
    fn count(&self) -> usize;
}

// ---- the healthy half ----------------------------------------------------

/// Says hello.
#[derive(Default)]
#[pegboard::plugin(name = "english", version = "1.2.0", api = "0.1", kind = Greeter, capabilities = ["greet"])]
pub struct English;
impl Greeter for English {
    fn greet(&self, who: &str) -> String {
        format!("Hello, {who}!")
    }
}

#[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct PoliteConfig {
    title: String,
    #[schemars(range(min = 1, max = 3))]
    bows: u32,
}
impl Default for PoliteConfig {
    fn default() -> Self {
        PoliteConfig {
            title: "Dear".into(),
            bows: 1,
        }
    }
}

/// Greets with a title; depends on english.
#[pegboard::plugin(
    name = "polite",
    version = "0.3.0",
    api = "0.1",
    kind = Greeter,
    config = PoliteConfig,
    depends_on = ["greeter.english@^1.0", "greeter.absent?"],
    new = Polite::new,
)]
pub struct Polite {
    title: String,
    bows: u32,
    inner: Arc<dyn Greeter>,
}
impl Polite {
    fn new(config: PoliteConfig, ctx: &pegboard::Context<'_>) -> Result<Self, pegboard::Error> {
        Ok(Polite {
            title: config.title,
            bows: config.bows,
            inner: ctx.dependency::<dyn Greeter>("english")?,
        })
    }
}
impl Greeter for Polite {
    fn greet(&self, who: &str) -> String {
        format!(
            "{} {}",
            "*bow* ".repeat(self.bows as usize).trim(),
            self.inner.greet(&format!("{} {who}", self.title))
        )
    }
}

static BUILT: AtomicUsize = AtomicUsize::new(0);

/// Held by every test that builds `counter.once`, so that the test counting
/// its builds sees only its own (tests run in parallel threads).
static BUILDS_ONCE: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn builds_once() -> std::sync::MutexGuard<'static, ()> {
    BUILDS_ONCE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Counts how often it was built (to prove lazy, exactly-once construction).
#[pegboard::plugin(name = "once", version = "0.1.0", api = "0.1", kind = Count, new = Once::new)]
pub struct Once;
impl Once {
    fn new(_: &pegboard::Context<'_>) -> Result<Self, std::convert::Infallible> {
        // Make racing threads overlap inside the constructor.
        std::thread::sleep(std::time::Duration::from_millis(20));
        BUILT.fetch_add(1, Ordering::SeqCst);
        Ok(Once)
    }
}
impl Count for Once {
    fn count(&self) -> usize {
        BUILT.load(Ordering::SeqCst)
    }
}

/// The same name as a greeter, in another kind (D4).
#[derive(Default)]
#[pegboard::plugin(name = "english", version = "0.1.0", api = "0.1", kind = Count)]
pub struct EnglishCount;
impl Count for EnglishCount {
    fn count(&self) -> usize {
        26
    }
}

/// Switched off by configuration.
#[derive(Default)]
#[pegboard::plugin(name = "sleepy", version = "0.1.0", api = "0.1", kind = Count)]
pub struct Sleepy;
impl Count for Sleepy {
    fn count(&self) -> usize {
        0
    }
}

// ---- the broken half ------------------------------------------------------

/// Its config will be invalid.
#[pegboard::plugin(name = "badconfig", version = "0.1.0", api = "0.1", kind = Greeter, config = PoliteConfig)]
pub struct BadConfig;
impl From<PoliteConfig> for BadConfig {
    fn from(_: PoliteConfig) -> Self {
        BadConfig
    }
}
impl Greeter for BadConfig {
    fn greet(&self, _: &str) -> String {
        unreachable!("never built")
    }
}

/// Needs a plugin that does not exist.
#[derive(Default)]
#[pegboard::plugin(name = "orphan", version = "0.1.0", api = "0.1", kind = Greeter, depends_on = ["store.nowhere"])]
pub struct Orphan;
impl Greeter for Orphan {
    fn greet(&self, _: &str) -> String {
        unreachable!("never built")
    }
}

/// Needs english at a version it does not have.
#[derive(Default)]
#[pegboard::plugin(name = "picky", version = "0.1.0", api = "0.1", kind = Greeter, depends_on = ["greeter.english@^2"])]
pub struct Picky;
impl Greeter for Picky {
    fn greet(&self, _: &str) -> String {
        unreachable!("never built")
    }
}

macro_rules! cycle_member {
    ($ty:ident, $name:literal, $dep:literal) => {
        #[derive(Default)]
        #[pegboard::plugin(name = $name, version = "0.1.0", api = "0.1", kind = Greeter, depends_on = [$dep])]
        pub struct $ty;
        impl Greeter for $ty {
            fn greet(&self, _: &str) -> String {
                unreachable!("never built")
            }
        }
    };
}
cycle_member!(CycleA, "cycle-a", "cycle-b");
cycle_member!(CycleB, "cycle-b", "cycle-c");
cycle_member!(CycleC, "cycle-c", "cycle-a");
// Depends on the cycle, is not on it: blocked.
cycle_member!(AfterCycle, "after-cycle", "cycle-a");

/// Its constructor fails.
#[pegboard::plugin(name = "fails", version = "0.1.0", api = "0.1", kind = Count, new = Fails::new)]
pub struct Fails;
impl Fails {
    fn new(_: &pegboard::Context<'_>) -> Result<Self, std::io::Error> {
        Err(std::io::Error::other("database unreachable"))
    }
}
impl Count for Fails {
    fn count(&self) -> usize {
        unreachable!("never built")
    }
}

/// Its constructor panics.
#[pegboard::plugin(name = "panics", version = "0.1.0", api = "0.1", kind = Count, new = Panics::new)]
pub struct Panics;
impl Panics {
    fn new(_: &pegboard::Context<'_>) -> Result<Self, std::io::Error> {
        panic!("constructor exploded")
    }
}
impl Count for Panics {
    fn count(&self) -> usize {
        unreachable!("never built")
    }
}

/// Depends on a plugin whose constructor panics: blocked once that happens.
#[derive(Default)]
#[pegboard::plugin(name = "after-panic", version = "0.1.0", api = "0.1", kind = Count, depends_on = ["counter.panics"])]
pub struct AfterPanic;
impl Count for AfterPanic {
    fn count(&self) -> usize {
        unreachable!("never built")
    }
}

/// Built against an API this platform does not provide: the macro refuses
/// that at compile time, so the run-time check (V2, defence in depth) is
/// exercised with a hand-written descriptor, as a remote plugin would arrive.
static FUTURE: PluginDescriptor =
    PluginDescriptor::from_parts(pegboard::__private::DescriptorParts {
        name: "future",
        kind: "greeter",
        kind_type: pegboard::__private::type_id_of::<dyn Greeter>,
        version: "1.0.0",
        api: "7.1",
        description: "built for a future pegboard",
        crate_name: "elsewhere",
        crate_version: "1.0.0",
        file: "remote.rs",
        line: 1,
        dependencies: &[],
        capabilities: &[],
        config: None,
        factory: |_, _| Ok(pegboard::Instance::new::<dyn Greeter>(Arc::new(English))),
    });

const CONFIG: &str = r#"
[plugins.greeter.polite]
title = "Esteemed"

[plugins.greeter.badconfig]
title = 42
bows = 9
colour = "red"

[plugins.counter.sleepy]
enabled = false
"#;

fn registry() -> Registry {
    let all = pegboard::discover::compiled_in().chain([&FUTURE]);
    Registry::builder()
        .descriptors(all)
        .config(Document::from_toml_str(CONFIG).unwrap())
        .build()
        .expect("a composition with broken plugins is still built")
}

fn failure(registry: &Registry, id: &str) -> (PluginState, Failure) {
    let info = registry
        .plugin(id)
        .unwrap_or_else(|| panic!("{id} is listed"));
    (
        info.state,
        info.failure.unwrap_or_else(|| panic!("{id} has a failure")),
    )
}

#[test]
fn the_healthy_half_is_usable_and_every_failure_is_reported() {
    let _once = builds_once();
    let registry = registry();
    assert_eq!(
        registry.instantiate_all(),
        4,
        "english, polite, once, counter.english"
    );

    // Healthy plugins work, through typed lookups, with config and dependencies.
    let polite = registry.get::<dyn Greeter>("polite").unwrap();
    assert_eq!(polite.greet("Ada"), "*bow* Hello, Esteemed Ada!");
    assert_eq!(registry.get::<dyn Count>("english").unwrap().count(), 26);
    let greeters: Vec<&str> = registry
        .list::<dyn Greeter>()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(greeters, ["english", "polite"]);

    // Every broken plugin is reported with its reason.
    let (state, f) = failure(&registry, "greeter.badconfig");
    assert_eq!(state, PluginState::Failed);
    let Failure::Config { errors } = f else {
        panic!("config failure, got {f:?}")
    };
    let mut found: Vec<(String, String)> = errors
        .iter()
        .map(|e| (e.path.clone(), e.rule.clone()))
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            (
                "/plugins/greeter/badconfig/bows".to_owned(),
                "maximum".to_owned()
            ),
            (
                "/plugins/greeter/badconfig/colour".to_owned(),
                "additionalProperties".to_owned()
            ),
            (
                "/plugins/greeter/badconfig/title".to_owned(),
                "type".to_owned()
            ),
        ]
    );
    assert!(
        errors
            .iter()
            .all(|e| e.plugin.as_deref() == Some("greeter.badconfig"))
    );

    assert_eq!(
        failure(&registry, "greeter.future"),
        (
            PluginState::Failed,
            Failure::IncompatibleApi {
                message: "plugin `greeter.future` requires pegboard API 7.1.0, but this pegboard provides API 0.1.0 (the major versions differ)".into()
            }
        )
    );
    assert_eq!(
        failure(&registry, "greeter.orphan"),
        (
            PluginState::Failed,
            Failure::MissingDependency {
                dependency: "store.nowhere".into()
            }
        )
    );
    assert_eq!(
        failure(&registry, "greeter.picky"),
        (
            PluginState::Failed,
            Failure::DependencyVersion {
                dependency: "greeter.english@^2".into(),
                found: "greeter.english".into(),
                version: "1.2.0".into()
            }
        )
    );
    for (id, path) in [
        (
            "greeter.cycle-a",
            [
                "greeter.cycle-a",
                "greeter.cycle-b",
                "greeter.cycle-c",
                "greeter.cycle-a",
            ],
        ),
        (
            "greeter.cycle-b",
            [
                "greeter.cycle-b",
                "greeter.cycle-c",
                "greeter.cycle-a",
                "greeter.cycle-b",
            ],
        ),
    ] {
        let (state, f) = failure(&registry, id);
        assert_eq!(state, PluginState::Failed);
        assert_eq!(
            f.to_string(),
            format!("dependency cycle: {}", path.join(" -> "))
        );
    }
    let (state, f) = failure(&registry, "greeter.after-cycle");
    assert_eq!(state, PluginState::Blocked);
    let Failure::Blocked { chain, .. } = &f else {
        panic!("{f:?}")
    };
    assert_eq!(chain, &["greeter.after-cycle", "greeter.cycle-a"]);

    assert_eq!(
        failure(&registry, "counter.fails"),
        (
            PluginState::Failed,
            Failure::Error {
                stage: pegboard::Stage::Construct,
                message: "database unreachable".into()
            }
        )
    );
    assert_eq!(
        failure(&registry, "counter.panics"),
        (
            PluginState::Failed,
            Failure::Panic {
                stage: pegboard::Stage::Construct,
                message: "constructor exploded".into()
            }
        )
    );
    let (state, f) = failure(&registry, "counter.after-panic");
    assert_eq!(state, PluginState::Blocked);
    assert_eq!(
        f.to_string(),
        "blocked: counter.after-panic -> counter.panics (counter.panics construct panic: constructor exploded)"
    );
    assert_eq!(
        failure(&registry, "counter.sleepy"),
        (PluginState::Disabled, Failure::Disabled)
    );

    // Lookups of unusable plugins say why, and never panic.
    let err = registry.get::<dyn Count>("panics").err().unwrap();
    assert_eq!(
        err.to_string(),
        "plugin `counter.panics` is failed: construct panic: constructor exploded"
    );
    let err = registry.get::<dyn Greeter>("englsh").err().unwrap();
    assert_eq!(
        err.to_string(),
        "no plugin `greeter.englsh` is compiled in (did you mean `greeter.english`?)"
    );

    // The optional dependency that is absent is a note, not a failure.
    let polite = registry.plugin("greeter.polite").unwrap();
    assert_eq!(polite.state, PluginState::Configured);
    assert_eq!(
        polite.notes,
        ["optional dependency `greeter.absent` is not compiled in"]
    );
}

#[test]
fn start_order_respects_dependencies_and_breaks_ties_by_id() {
    let registry = registry();
    // The plan is made before anything is built: plugins whose constructors
    // will fail are still in it (and after-panic waits for panics).
    let order: Vec<&str> = registry.start_order().collect();
    assert_eq!(
        order,
        [
            "counter.english",
            "counter.fails",
            "counter.once",
            "counter.panics",
            "counter.after-panic",
            "greeter.english",
            "greeter.polite"
        ]
    );
    assert_eq!(
        registry.levels(),
        vec![
            vec![
                "counter.english",
                "counter.fails",
                "counter.once",
                "counter.panics",
                "greeter.english"
            ],
            vec!["counter.after-panic", "greeter.polite"]
        ]
    );
    assert_eq!(registry.plugin("greeter.polite").unwrap().level, Some(1));
}

#[test]
fn instances_are_lazy_and_built_exactly_once_under_concurrent_access() {
    let _once = builds_once();
    let built_before = BUILT.load(Ordering::SeqCst);
    let registry = registry();
    assert!(
        !registry.plugin("counter.once").unwrap().instantiated,
        "nothing is built before access"
    );
    let barrier = Barrier::new(8);
    let instances: Vec<Arc<dyn Count>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    registry.get::<dyn Count>("once").unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        BUILT.load(Ordering::SeqCst) - built_before,
        1,
        "built exactly once"
    );
    assert!(instances.windows(2).all(|w| Arc::ptr_eq(&w[0], &w[1])));
    assert!(registry.plugin("counter.once").unwrap().instantiated);
}

#[test]
fn metadata_is_complete_and_serializes() {
    let registry = registry();
    let info = registry.plugin("greeter.polite").unwrap();
    let json = serde_json::to_value(&info).unwrap();
    assert_eq!(json["id"], "greeter.polite");
    assert_eq!(json["kind"], "greeter");
    assert_eq!(json["name"], "polite");
    assert_eq!(json["version"], "0.3.0");
    assert_eq!(json["api"], "0.1");
    assert_eq!(
        json["description"],
        "Greets with a title; depends on english."
    );
    assert_eq!(json["crate"], "pegboard-tests");
    assert_eq!(json["crate_version"], env!("CARGO_PKG_VERSION"));
    assert!(
        json["source"]["file"]
            .as_str()
            .unwrap()
            .ends_with("composition.rs")
    );
    assert!(json["source"]["line"].as_u64().unwrap() > 0);
    assert_eq!(json["dependencies"][0]["spec"], "greeter.english@^1.0");
    assert_eq!(json["dependencies"][0]["resolved"], "greeter.english");
    assert_eq!(json["dependencies"][1]["optional"], true);
    assert_eq!(json["has_config"], true);
    assert_eq!(json["state"], "configured");

    let english = registry.plugin("greeter.english").unwrap();
    assert_eq!(english.capabilities, ["greet"]);
    assert_eq!(english.description, "Says hello.");

    // The validated config has its defaults filled in.
    assert_eq!(
        registry.config("greeter.polite").unwrap(),
        &serde_json::json!({"title": "Esteemed", "bows": 1})
    );
}

#[test]
fn unknown_sections_refuse_the_composition_with_a_suggestion() {
    let doc = Document::from_toml_str("[plugins.greeter.englsh]\n").unwrap();
    let err = Registry::builder()
        .config(doc)
        .build()
        .err()
        .expect("refused");
    let text = err.to_string();
    assert!(text.contains("greeter.englsh"), "{text}");
    assert!(text.contains("did you mean `greeter.english`"), "{text}");
}

#[test]
fn environment_overrides_reach_plugin_config() {
    let registry = Registry::builder()
        .env([
            ("PEGBOARD__PLUGINS__GREETER__POLITE__BOWS", "3"),
            ("PEGBOARD__PLUGINS__GREETER__BADCONFIG__ENABLED", "false"),
            ("PEGBOARD_UNRELATED", "x"),
        ])
        .build()
        .unwrap();
    assert_eq!(registry.config("greeter.polite").unwrap()["bows"], 3);
    assert_eq!(
        registry.plugin("greeter.badconfig").unwrap().state,
        PluginState::Disabled
    );
}

#[test]
fn the_composition_check_helper_lists_every_problem() {
    let report = pegboard::testing::check_composition(Registry::builder()).unwrap_err();
    for id in [
        "greeter.orphan",
        "greeter.cycle-a",
        "greeter.picky",
        "greeter.after-cycle",
    ] {
        assert!(report.contains(id), "{id} missing from:\n{report}");
    }
    // A sound subset passes.
    let _once = builds_once();
    let sound = pegboard::discover::compiled_in()
        .filter(|d| ["english", "polite", "once"].contains(&d.name()));
    pegboard::testing::check_composition(Registry::builder().descriptors(sound)).unwrap();
}

#[test]
fn order_does_not_depend_on_link_order() {
    let mut descriptors: Vec<_> = pegboard::discover::compiled_in().collect();
    let forward = pegboard::Catalog::new(descriptors.iter().copied()).unwrap();
    descriptors.reverse();
    let backward = pegboard::Catalog::new(descriptors.iter().copied()).unwrap();
    let forward_ids: Vec<&str> = forward.ids().collect();
    assert_eq!(forward_ids, backward.ids().collect::<Vec<_>>());
    let mut sorted = forward_ids.clone();
    sorted.sort_by(|a, b| a.split_once('.').cmp(&b.split_once('.')));
    assert_eq!(forward_ids, sorted);

    let a = Registry::builder()
        .descriptors(descriptors.iter().copied())
        .build()
        .unwrap();
    descriptors.reverse();
    let b = Registry::builder()
        .descriptors(descriptors)
        .build()
        .unwrap();
    assert_eq!(
        a.start_order().collect::<Vec<_>>(),
        b.start_order().collect::<Vec<_>>()
    );
}

#[test]
fn the_process_wide_registry_is_installed_once() {
    assert!(Registry::global().is_none());
    let installed = registry().install().unwrap();
    assert!(std::ptr::eq(installed, Registry::global().unwrap()));
    assert_eq!(installed.get::<dyn Count>("english").unwrap().count(), 26);
    let again = registry().install().err().unwrap();
    assert!(matches!(
        again,
        pegboard::CompositionError::AlreadyInstalled
    ));
}
