use std::sync::Arc;

#[pegboard::kind]
pub trait Store {
    fn name(&self) -> &'static str;
}

#[pegboard::kind]
pub trait App {
    fn stores(&self) -> Vec<&'static str>;
}

#[derive(Default)]
#[pegboard::plugin(name = "memory", version = "1.3.0", api = "0.1", kind = Store)]
pub struct Memory;

impl Store for Memory {
    fn name(&self) -> &'static str {
        "memory"
    }
}

#[derive(Default)]
#[pegboard::plugin(name = "disk", version = "2.1.0", api = "0.1", kind = Store)]
pub struct Disk;

impl Store for Disk {
    fn name(&self) -> &'static str {
        "disk"
    }
}

#[derive(Default)]
#[pegboard::plugin(name = "s3", version = "0.4.2", api = "0.1", kind = Store)]
pub struct S3;

impl Store for S3 {
    fn name(&self) -> &'static str {
        "s3"
    }
}

#[pegboard::plugin(
    name = "main",
    version = "1.0.0",
    api = "0.1",
    kind = App,
    depends_on = [
        "memory",                 // name
        "store.disk",             // kind.name
        "s3@~0.4",                // name@requirement
        "store.memory@>=1.2, <2", // kind.name@requirement (with a space)
        "cache?",                 // optional name
        "store.redis?",           // optional kind.name
        "queue@^3?",              // optional name@requirement
        "store.tape@=1.0.0?",     // optional kind.name@requirement
    ],
    new = Main::new,
)]
pub struct Main {
    stores: Vec<Arc<dyn Store>>,
}

impl Main {
    fn new(ctx: &pegboard::Context<'_>) -> Result<Self, pegboard::Error> {
        // Absent optional dependencies are simply not found.
        assert!(ctx.dependency::<dyn Store>("redis").is_err());
        Ok(Main {
            stores: vec![
                ctx.dependency::<dyn Store>("memory")?,
                ctx.dependency::<dyn Store>("disk")?,
                ctx.dependency::<dyn Store>("s3")?,
            ],
        })
    }
}

impl App for Main {
    fn stores(&self) -> Vec<&'static str> {
        self.stores.iter().map(|s| s.name()).collect()
    }
}

fn main() {
    let registry = pegboard::Registry::builder().build().unwrap();
    let info = registry.plugin("app.main").unwrap();
    assert!(info.failure.is_none(), "{:?}", info.failure);

    let deps: Vec<(&str, Option<&str>, bool, Option<&str>)> = info
        .dependencies
        .iter()
        .map(|d| {
            (
                d.spec.as_str(),
                d.requirement,
                d.optional,
                d.resolved.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        deps,
        [
            ("memory", None, false, Some("store.memory")),
            ("store.disk", None, false, Some("store.disk")),
            ("s3@~0.4", Some("~0.4"), false, Some("store.s3")),
            ("store.memory@>=1.2, <2", Some(">=1.2, <2"), false, Some("store.memory")),
            ("cache?", None, true, None),
            ("store.redis?", None, true, None),
            ("queue@^3?", Some("^3"), true, None),
            ("store.tape@=1.0.0?", Some("=1.0.0"), true, None),
        ]
    );

    let main = registry.get::<dyn App>("main").unwrap();
    assert_eq!(main.stores(), ["memory", "disk", "s3"]);
    assert_eq!(
        registry.levels(),
        [
            vec!["store.disk", "store.memory", "store.s3"],
            vec!["app.main"],
        ]
    );
    assert!(registry.failures().is_empty());
}
