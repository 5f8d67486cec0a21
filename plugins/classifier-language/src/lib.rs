//! `classifier.language`: tags a text with its language, detected with
//! [`whatlang`], as `lang:<ISO 639-3 code>` (`lang:eng`, `lang:fra`, ...).
//!
//! A text whose language cannot be detected (empty, only digits or
//! punctuation), or whose detection is not confident enough, gets no tag.
//!
//! ```toml
//! [plugins.classifier.language]
//! min_confidence = 0.5   # 0.0 to 1.0: the least confidence that gives a tag
//! only_reliable = false  # true: also require whatlang's "reliable" verdict
//! tag_prefix = "lang:"   # put before the language code
//! ```
#![warn(missing_docs)]

use ingest_kinds::{Classifier, ClassifyError};

/// Configuration of `[plugins.classifier.language]`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct LanguageConfig {
    /// The least confidence (0.0 to 1.0) a detection needs to give a tag;
    /// below it the text gets none.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub min_confidence: f64,
    /// Whether a detection must also be what whatlang calls reliable
    /// (confidence above 0.9) to give a tag.
    pub only_reliable: bool,
    /// What goes before the ISO 639-3 language code in the tag.
    pub tag_prefix: String,
}

impl Default for LanguageConfig {
    fn default() -> Self {
        LanguageConfig {
            min_confidence: 0.5,
            only_reliable: false,
            tag_prefix: "lang:".to_owned(),
        }
    }
}

/// Tags texts with their language (detected by whatlang).
#[pegboard::plugin(name = "language", version = "0.1.0", api = "0.1", kind = Classifier, config = LanguageConfig)]
pub struct Language {
    config: LanguageConfig,
}

impl From<LanguageConfig> for Language {
    fn from(config: LanguageConfig) -> Self {
        Language { config }
    }
}

impl Language {
    /// The detected language's ISO 639-3 code, if detection succeeds and
    /// passes the configured thresholds.
    pub fn detect(&self, text: &str) -> Option<&'static str> {
        let info = whatlang::detect(text)?;
        let confident = info.confidence() >= self.config.min_confidence;
        let reliable = !self.config.only_reliable || info.is_reliable();
        (confident && reliable).then(|| info.lang().code())
    }
}

impl Classifier for Language {
    fn classify(&self, text: &str) -> Result<Vec<String>, ClassifyError> {
        Ok(self
            .detect(text)
            .map(|code| format!("{}{code}", self.config.tag_prefix))
            .into_iter()
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENGLISH: &str =
        "I would like to know whether the meeting is still scheduled for tomorrow morning.";

    fn classify(config: LanguageConfig, text: &str) -> Vec<String> {
        Language::from(config).classify(text).unwrap()
    }

    fn tags(text: &str) -> Vec<String> {
        classify(LanguageConfig::default(), text)
    }

    #[test]
    fn detects_english_french_and_german() {
        assert_eq!(tags(ENGLISH), ["lang:eng"]);
        assert_eq!(
            tags(
                "Le petit chat dort tranquillement sur le canapé pendant que la pluie tombe dehors."
            ),
            ["lang:fra"]
        );
        assert_eq!(
            tags(
                "Der kleine Hund spielt jeden Morgen im Garten, während die Kinder in der Schule sind."
            ),
            ["lang:deu"]
        );
    }

    #[test]
    fn undetectable_text_gets_no_tag() {
        assert!(tags("").is_empty());
        assert!(tags("   ").is_empty());
        assert!(tags("12345 !!! ??? --- 67.89").is_empty());
    }

    #[test]
    fn gibberish_gets_no_tag() {
        // Latin letters, but no language whatlang is confident about.
        assert_eq!(
            whatlang::detect("qzx").map(|i| i.confidence() < 0.5),
            Some(true)
        );
        assert!(tags("qzx").is_empty());
    }

    #[test]
    fn min_confidence_one_rejects_an_ambiguous_short_text() {
        let strict = LanguageConfig {
            min_confidence: 1.0,
            ..LanguageConfig::default()
        };
        let info = whatlang::detect("Hello there").unwrap();
        assert!(info.confidence() < 1.0, "{info:?}");
        assert!(classify(strict.clone(), "Hello there").is_empty());
        // A long, unambiguous text still passes.
        assert_eq!(classify(strict, ENGLISH), ["lang:eng"]);
    }

    #[test]
    fn only_reliable_and_tag_prefix() {
        let config = LanguageConfig {
            min_confidence: 0.0,
            only_reliable: true,
            tag_prefix: "language=".to_owned(),
        };
        assert!(classify(config.clone(), "Hello there").is_empty());
        assert_eq!(
            classify(
                config,
                "Le petit chat dort tranquillement sur le canapé pendant que la pluie tombe dehors."
            ),
            ["language=fra"]
        );
    }

    #[test]
    fn config_defaults_and_toml() {
        let config = LanguageConfig::default();
        assert_eq!(config.min_confidence, 0.5);
        assert!(!config.only_reliable);
        assert_eq!(config.tag_prefix, "lang:");

        let parsed: LanguageConfig = toml::from_str("min_confidence = 0.8\n").unwrap();
        assert_eq!(
            parsed,
            LanguageConfig {
                min_confidence: 0.8,
                ..LanguageConfig::default()
            }
        );
        let schema = serde_json::to_value(schemars::schema_for!(LanguageConfig)).unwrap();
        let min = &schema["properties"]["min_confidence"];
        assert_eq!(
            (min["minimum"].as_f64(), min["maximum"].as_f64()),
            (Some(0.0), Some(1.0))
        );
    }

    #[test]
    fn in_a_registry_config_is_validated_and_used() {
        use pegboard::config::Document;
        use pegboard::{Failure, Registry};

        let build = |section: &str| {
            let text = format!("[plugins.classifier.language]\n{section}\n");
            Registry::builder()
                .config(Document::from_toml_str(&text).unwrap())
                .build()
                .unwrap()
        };
        let registry = build("tag_prefix = \"language=\"");
        let language = registry.get::<dyn Classifier>("language").unwrap();
        assert_eq!(language.classify(ENGLISH).unwrap(), ["language=eng"]);

        let registry = build("min_confidence = 1.5");
        let failure = registry.plugin("classifier.language").unwrap().failure;
        let Some(Failure::Config { errors }) = failure else {
            panic!("expected a config failure, got {failure:?}");
        };
        assert!(
            errors[0]
                .to_string()
                .contains("/plugins/classifier/language/min_confidence"),
            "{errors:?}"
        );
    }
}
