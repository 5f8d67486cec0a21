#[pegboard::kind]
pub trait Greeter {
    fn greet(&self) -> String;
}

#[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, Default)]
pub struct EnglishConfig {
    greeting: String,
}

// With `config`, `new` is called as `new(config, ctx)`.
#[pegboard::plugin(name = "english", version = "1.0.0", api = "0.1", kind = Greeter, config = EnglishConfig, new = English::new)]
pub struct English {
    greeting: String,
}

impl English {
    fn new(_ctx: &pegboard::Context<'_>) -> Result<Self, std::convert::Infallible> {
        Ok(English { greeting: "hello".into() })
    }
}

impl Greeter for English {
    fn greet(&self) -> String {
        self.greeting.clone()
    }
}

fn main() {}
