//! Two plugins: one at the crate root with a config, one in a private
//! module nothing else uses (the shape of linkme issue #31, where such a
//! module's registration vanished with some codegen-units).

use kinds::Greeter;

#[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Config {
    greeting: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            greeting: "Hello".into(),
        }
    }
}

/// Greets with the configured greeting.
#[pegboard::plugin(name = "alpha", version = "1.0.0", api = "0.1", kind = Greeter, config = Config)]
pub struct Alpha(Config);

impl From<Config> for Alpha {
    fn from(config: Config) -> Self {
        Alpha(config)
    }
}

impl Greeter for Alpha {
    fn greet(&self, who: &str) -> String {
        format!("{}, {who}!", self.0.greeting)
    }
}

mod hidden {
    use kinds::Counter;

    /// Always one.
    #[derive(Default)]
    #[pegboard::plugin(name = "alpha", version = "1.1.0", api = "0.1", kind = Counter)]
    struct Hidden;

    impl Counter for Hidden {
        fn count(&self) -> u64 {
            1
        }
    }
}
