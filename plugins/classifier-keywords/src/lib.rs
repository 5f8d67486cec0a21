//! `classifier.keywords`: tags a text with every tag one of whose keywords it
//! contains (whole words, case-insensitive).

use std::collections::{BTreeMap, BTreeSet};

use ingest_kinds::{Classifier, ClassifyError};

/// Configuration of `[plugins.classifier.keywords]`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct KeywordsConfig {
    /// Tag → the words that give it.
    pub rules: BTreeMap<String, Vec<String>>,
    /// The most tags given to one text.
    #[schemars(range(min = 1, max = 1000))]
    pub max_tags: usize,
}

impl Default for KeywordsConfig {
    fn default() -> Self {
        let rule = |tag: &str, words: &[&str]| {
            (
                tag.to_owned(),
                words.iter().map(|w| (*w).to_owned()).collect(),
            )
        };
        KeywordsConfig {
            rules: BTreeMap::from([
                rule("finance", &["invoice", "payment", "price", "bank", "money"]),
                rule(
                    "tech",
                    &["rust", "server", "database", "software", "plugin"],
                ),
                rule("weather", &["rain", "sun", "snow", "storm", "forecast"]),
            ]),
            max_tags: 10,
        }
    }
}

/// Tags texts by keyword rules.
#[pegboard::plugin(name = "keywords", version = "0.1.0", api = "0.1", kind = Classifier, config = KeywordsConfig)]
pub struct Keywords {
    /// word (lower case) → tags.
    index: BTreeMap<String, Vec<String>>,
    max_tags: usize,
}

impl From<KeywordsConfig> for Keywords {
    fn from(config: KeywordsConfig) -> Self {
        let mut index: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (tag, words) in config.rules {
            for word in words {
                index
                    .entry(word.to_lowercase())
                    .or_default()
                    .push(tag.clone());
            }
        }
        Keywords {
            index,
            max_tags: config.max_tags,
        }
    }
}

impl Classifier for Keywords {
    fn classify(&self, text: &str) -> Result<Vec<String>, ClassifyError> {
        let mut tags = BTreeSet::new();
        for word in text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            if let Some(found) = self.index.get(&word.to_lowercase()) {
                tags.extend(found.iter().cloned());
            }
        }
        Ok(tags.into_iter().take(self.max_tags).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_by_whole_words_case_insensitively() {
        let k = Keywords::from(KeywordsConfig::default());
        assert_eq!(
            k.classify("The Rust server sent an INVOICE.").unwrap(),
            vec!["finance".to_owned(), "tech".to_owned()]
        );
        assert!(k.classify("rusty").unwrap().is_empty());
    }

    #[test]
    fn max_tags_limits_the_answer() {
        let k = Keywords::from(KeywordsConfig {
            max_tags: 1,
            ..KeywordsConfig::default()
        });
        assert_eq!(k.classify("rain and money").unwrap().len(), 1);
    }
}
