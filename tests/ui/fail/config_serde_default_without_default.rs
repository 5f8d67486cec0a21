// `#[serde(default)]` on a config type without `Default`: three errors.
// serde's and schemars' derives report it from their own expansions (a
// macro elsewhere can neither remove those nor come before them);
// pegboard adds one, at `config = EnglishConfig`, and no more.
#[pegboard::kind]
pub trait Greeter {
    fn greet(&self) -> String;
}

#[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct EnglishConfig {
    greeting: String,
}

#[pegboard::plugin(name = "english", version = "1.0.0", api = "0.1", kind = Greeter, config = EnglishConfig)]
pub struct English {
    greeting: String,
}

impl From<EnglishConfig> for English {
    fn from(config: EnglishConfig) -> Self {
        English { greeting: config.greeting }
    }
}

impl Greeter for English {
    fn greet(&self) -> String {
        self.greeting.clone()
    }
}

fn main() {}
