use pegboard::Kind;

/// The kind is called `salutation`, not `greeter`.
#[pegboard::kind(name = "salutation")]
pub trait Greeter {
    fn greet(&self) -> String;
}

// Derived names: the trait name in snake_case.
#[pegboard::kind]
pub trait HTTPRoutes {}

#[pegboard::kind]
pub trait Classifier2 {}

#[derive(Default)]
#[pegboard::plugin(name = "english", version = "1.0.0", api = "0.1", kind = Greeter)]
pub struct English;

impl Greeter for English {
    fn greet(&self) -> String {
        "Hello".into()
    }
}

// A dependency names the kind by its kind name.
#[derive(Default)]
#[pegboard::plugin(
    name = "french",
    version = "1.0.0",
    api = "0.1",
    kind = Greeter,
    depends_on = ["salutation.english"],
)]
pub struct French;

impl Greeter for French {
    fn greet(&self) -> String {
        "Bonjour".into()
    }
}

fn main() {
    assert_eq!(<dyn Greeter as Kind>::NAME, "salutation");
    assert_eq!(<dyn HTTPRoutes as Kind>::NAME, "http_routes");
    assert_eq!(<dyn Classifier2 as Kind>::NAME, "classifier2");

    let registry = pegboard::Registry::builder().build().unwrap();
    assert_eq!(registry.get::<dyn Greeter>("english").unwrap().greet(), "Hello");
    let info = registry.plugin("salutation.english").unwrap();
    assert_eq!(info.kind, "salutation");
    assert!(registry.plugin("greeter.english").is_none());

    let french = registry.plugin("salutation.french").unwrap();
    assert!(french.failure.is_none(), "{:?}", french.failure);
    assert_eq!(
        french.dependencies[0].resolved.as_deref(),
        Some("salutation.english")
    );
    assert_eq!(registry.get::<dyn Greeter>("french").unwrap().greet(), "Bonjour");
}
