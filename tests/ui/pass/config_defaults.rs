use pegboard::config::Document;

#[pegboard::kind]
pub trait Greeter {
    fn greet(&self, who: &str) -> String;
}

#[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct PoliteConfig {
    /// Put before the name.
    title: String,
    /// How many times to bow.
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

/// Built with `From<PoliteConfig>`.
#[pegboard::plugin(
    name = "polite",
    version = "1.0.0",
    api = "0.1",
    kind = Greeter,
    config = PoliteConfig,
)]
pub struct Polite {
    title: String,
    bows: u32,
}

impl From<PoliteConfig> for Polite {
    fn from(config: PoliteConfig) -> Self {
        Polite {
            title: config.title,
            bows: config.bows,
        }
    }
}

impl Greeter for Polite {
    fn greet(&self, who: &str) -> String {
        format!("{}{} {who}", "*bow* ".repeat(self.bows as usize), self.title)
    }
}

/// Built with `TryFrom<PoliteConfig>`.
#[pegboard::plugin(name = "formal", version = "1.0.0", api = "0.1", kind = Greeter, config = PoliteConfig)]
pub struct Formal {
    title: String,
}

impl TryFrom<PoliteConfig> for Formal {
    type Error = String;
    fn try_from(config: PoliteConfig) -> Result<Self, String> {
        if config.bows == 0 {
            return Err("a formal greeting needs a bow".into());
        }
        Ok(Formal { title: config.title })
    }
}

impl Greeter for Formal {
    fn greet(&self, who: &str) -> String {
        format!("{} {who}, how do you do?", self.title)
    }
}

/// Only `title` is configured: `bows` keeps its default.
#[pegboard::plugin(name = "curt", version = "1.0.0", api = "0.1", kind = Greeter, config = PoliteConfig)]
pub struct Curt {
    config: PoliteConfig,
}

impl From<PoliteConfig> for Curt {
    fn from(config: PoliteConfig) -> Self {
        Curt { config }
    }
}

impl Greeter for Curt {
    fn greet(&self, who: &str) -> String {
        format!("{} {who} ({} bow)", self.config.title, self.config.bows)
    }
}

const CONFIG: &str = r#"
[plugins.greeter.curt]
title = "Hey"

[plugins.greeter.formal]
bows = 0
"#;

fn main() {
    // No configuration at all: every field takes its default.
    let registry = pegboard::Registry::builder().build().unwrap();
    let polite = registry.get::<dyn Greeter>("polite").unwrap();
    assert_eq!(polite.greet("Ann"), "*bow* Dear Ann");
    assert_eq!(
        registry.config("greeter.polite"),
        Some(&serde_json::json!({ "title": "Dear", "bows": 1 }))
    );
    let formal = registry.get::<dyn Greeter>("formal").unwrap();
    assert_eq!(formal.greet("Ann"), "Dear Ann, how do you do?");
    assert!(registry.plugin("greeter.polite").unwrap().has_config);
    // The attribute spans several lines: `line` is where it starts.
    assert_eq!(registry.plugin("greeter.polite").unwrap().source.line, 26);

    // Partial sections are completed with the defaults; a failing `TryFrom`
    // fails only its own plugin.
    let registry = pegboard::Registry::builder()
        .config(Document::from_toml_str(CONFIG).unwrap())
        .build()
        .unwrap();
    let curt = registry.get::<dyn Greeter>("curt").unwrap();
    assert_eq!(curt.greet("Bo"), "Hey Bo (1 bow)");
    assert_eq!(
        registry.config("greeter.curt"),
        Some(&serde_json::json!({ "title": "Hey", "bows": 1 }))
    );
    let err = registry.get::<dyn Greeter>("formal").err().unwrap();
    assert!(err.to_string().contains("a formal greeting needs a bow"), "{err}");
    assert!(registry.get::<dyn Greeter>("polite").is_ok());
}
