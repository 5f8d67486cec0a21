use std::sync::Arc;

#[pegboard::kind]
pub trait Greeter {
    fn greet(&self, who: &str) -> String;
}

#[derive(Default)]
#[pegboard::plugin(name = "english", version = "1.4.0", api = "0.1", kind = Greeter)]
pub struct English;

impl Greeter for English {
    fn greet(&self, who: &str) -> String {
        format!("Hello, {who}!")
    }
}

#[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, Default)]
#[serde(default)]
pub struct LoudConfig {
    exclamations: usize,
}

/// Wraps `english`; built by `Loud::new(config, ctx)`.
#[pegboard::plugin(
    name = "loud",
    version = "1.0.0",
    api = "0.1",
    kind = Greeter,
    config = LoudConfig,
    depends_on = ["english@^1.2"],
    new = Loud::new,
)]
pub struct Loud {
    id: String,
    exclamations: usize,
    inner: Arc<dyn Greeter>,
}

impl Loud {
    fn new(config: LoudConfig, ctx: &pegboard::Context<'_>) -> Result<Self, pegboard::Error> {
        Ok(Loud {
            id: ctx.id().to_owned(),
            exclamations: config.exclamations,
            inner: ctx.dependency::<dyn Greeter>("english")?,
        })
    }
}

impl Greeter for Loud {
    fn greet(&self, who: &str) -> String {
        format!(
            "{}{} [{}]",
            self.inner.greet(who).to_uppercase(),
            "!".repeat(self.exclamations),
            self.id
        )
    }
}

fn main() {
    let registry = pegboard::Registry::builder()
        .config(
            pegboard::config::Document::from_toml_str(
                "[plugins.greeter.loud]\nexclamations = 2\n",
            )
            .unwrap(),
        )
        .build()
        .unwrap();
    let loud = registry.get::<dyn Greeter>("loud").unwrap();
    assert_eq!(loud.greet("you"), "HELLO, YOU!!! [greeter.loud]");
    let order: Vec<&str> = registry.start_order().collect();
    assert_eq!(order, ["greeter.english", "greeter.loud"]);
}
