use std::sync::Arc;

#[pegboard::kind]
pub trait Greeter {
    fn greet(&self, who: &str) -> String;
}

/// Says hello
/// in English.
///
/// Not part of the description.
#[derive(Default)]
#[pegboard::plugin(name = "english", version = "1.2.3", api = "0.1", kind = Greeter)]
pub struct English;

impl Greeter for English {
    fn greet(&self, who: &str) -> String {
        format!("Hello, {who}!")
    }
}

fn main() {
    use pegboard::Kind;
    assert_eq!(<dyn Greeter as Kind>::NAME, "greeter");

    let registry = pegboard::Registry::builder().build().unwrap();
    let greeter: Arc<dyn Greeter> = registry.get::<dyn Greeter>("english").unwrap();
    assert_eq!(greeter.greet("world"), "Hello, world!");
    assert!(registry.get::<dyn Greeter>("french").is_err());

    let all = registry.list::<dyn Greeter>();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].0, "english");

    let info = registry.plugin("greeter.english").unwrap();
    eprintln!("{info:#?}");
    assert_eq!(info.id, "greeter.english");
    assert_eq!(info.kind, "greeter");
    assert_eq!(info.name, "english");
    assert_eq!(info.version, "1.2.3");
    assert_eq!(info.api, "0.1");
    assert_eq!(info.description, "Says hello in English.");
    assert_eq!(info.crate_name, env!("CARGO_PKG_NAME"));
    assert_eq!(info.crate_version, env!("CARGO_PKG_VERSION"));
    assert!(info.source.file.ends_with("minimal.rs"), "{}", info.source.file);
    assert_eq!(info.source.line, 13);
    assert!(info.dependencies.is_empty());
    assert!(info.capabilities.is_empty());
    assert!(!info.has_config);
    assert!(info.failure.is_none());
    assert_eq!(registry.plugins().len(), 1);
    assert!(registry.failures().is_empty());
}
