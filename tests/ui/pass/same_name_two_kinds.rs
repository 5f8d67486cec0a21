#[pegboard::kind]
pub trait Greeter {
    fn greet(&self) -> String;
}

#[pegboard::kind]
pub trait Farewell {
    fn bid(&self) -> String;
}

/// Not the description: `description = ...` wins over the doc comment.
#[derive(Default)]
#[pegboard::plugin(
    name = "english",
    version = "1.0.0",
    api = "0.1",
    kind = Greeter,
    description = "Greets in English",
    capabilities = ["greet", "smalltalk_v2"],
)]
pub struct EnglishGreeter;

impl Greeter for EnglishGreeter {
    fn greet(&self) -> String {
        "Hello".into()
    }
}

// Same plugin name, other kind: a different plugin (`farewell.english`).
#[derive(Default)]
#[pegboard::plugin(name = "english", version = "3.0.0", api = "0.1", kind = Farewell)]
pub struct EnglishFarewell;

impl Farewell for EnglishFarewell {
    fn bid(&self) -> String {
        "Goodbye".into()
    }
}

fn main() {
    let registry = pegboard::Registry::builder().build().unwrap();
    assert_eq!(registry.get::<dyn Greeter>("english").unwrap().greet(), "Hello");
    assert_eq!(registry.get::<dyn Farewell>("english").unwrap().bid(), "Goodbye");
    assert_eq!(registry.list::<dyn Greeter>().len(), 1);
    assert_eq!(registry.list::<dyn Farewell>().len(), 1);

    let ids: Vec<String> = registry.plugins().into_iter().map(|p| p.id).collect();
    assert_eq!(ids, ["farewell.english", "greeter.english"]);

    let greeter = registry.plugin("greeter.english").unwrap();
    assert_eq!(greeter.description, "Greets in English");
    assert_eq!(greeter.capabilities, ["greet", "smalltalk_v2"]);
    assert_eq!(greeter.version, "1.0.0");
    let farewell = registry.plugin("farewell.english").unwrap();
    assert_eq!(farewell.description, "");
    assert_eq!(farewell.version, "3.0.0");
}
