//! `classifier.sentiment`, an example out-of-process plugin: a binary that
//! serves one [`Classifier`] to a pegboard host over gRPC (SPEC R1).
//!
//! It tags a text `positive` and/or `negative` when it contains words of
//! its built-in lists (whole words, case-insensitive); a text with words of
//! both lists gets both tags, one with neither gets none.
//!
//! Settings come from the environment (`PEGBOARD_HOST`, `PEGBOARD_NODE`,
//! `PEGBOARD_TOKEN`, `PEGBOARD_LISTEN`, `PEGBOARD_ADVERTISE`): see the
//! README and [`pegboard::remote::PluginProcess`].

use std::collections::HashSet;
use std::sync::Arc;

use ingest_kinds::{Classifier, ClassifyError};

/// Words that make a text `positive`.
const POSITIVE: &[&str] = &[
    "good",
    "great",
    "excellent",
    "happy",
    "love",
    "like",
    "nice",
    "wonderful",
    "amazing",
    "fantastic",
    "pleased",
    "glad",
    "thanks",
    "best",
    "awesome",
];

/// Words that make a text `negative`.
const NEGATIVE: &[&str] = &[
    "bad",
    "terrible",
    "awful",
    "sad",
    "hate",
    "poor",
    "horrible",
    "angry",
    "disappointed",
    "worst",
    "broken",
    "fail",
    "failed",
    "wrong",
    "annoying",
];

/// Tags texts `positive` / `negative` from built-in word lists.
#[derive(Debug)]
#[pegboard::plugin(name = "sentiment", version = "0.1.0", api = "0.1", kind = Classifier)]
pub struct Sentiment {
    positive: HashSet<&'static str>,
    negative: HashSet<&'static str>,
}

impl Default for Sentiment {
    /// The built-in word lists.
    fn default() -> Self {
        Sentiment {
            positive: POSITIVE.iter().copied().collect(),
            negative: NEGATIVE.iter().copied().collect(),
        }
    }
}

impl Classifier for Sentiment {
    fn classify(&self, text: &str) -> Result<Vec<String>, ClassifyError> {
        let (mut positive, mut negative) = (false, false);
        for word in text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            let word = word.to_lowercase();
            positive |= self.positive.contains(word.as_str());
            negative |= self.negative.contains(word.as_str());
        }
        // Sorted, as the host keeps tags.
        let mut tags = Vec::new();
        if negative {
            tags.push("negative".to_owned());
        }
        if positive {
            tags.push("positive".to_owned());
        }
        Ok(tags)
    }
}

fn main() -> Result<(), pegboard::remote::ServeError> {
    // One line per event on stderr: a host that spawned this process
    // forwards each line into its own logs, tagged with the plugin id.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_max_level(tracing_subscriber::filter::LevelFilter::INFO)
        .init();
    pegboard::remote::serve::<dyn Classifier>("sentiment", Arc::new(Sentiment::default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(text: &str) -> Vec<String> {
        Sentiment::default().classify(text).unwrap()
    }

    #[test]
    fn positive_words_give_the_positive_tag() {
        assert_eq!(tags("What a GREAT day, thanks!"), ["positive"]);
    }

    #[test]
    fn negative_words_give_the_negative_tag() {
        assert_eq!(tags("The upload failed; terrible."), ["negative"]);
    }

    #[test]
    fn both_lists_give_both_tags_in_order() {
        assert_eq!(tags("Good idea, bad timing."), ["negative", "positive"]);
    }

    #[test]
    fn no_listed_word_gives_no_tag() {
        assert!(tags("The meeting is at noon.").is_empty());
        assert!(tags("").is_empty());
    }

    #[test]
    fn only_whole_words_count() {
        // "goodbye", "badge", "likely" contain listed words, but are not.
        assert!(tags("goodbye badge likely").is_empty());
        assert_eq!(tags("good-bye"), ["positive"]);
    }

    #[test]
    fn the_registration_names_the_plugin() {
        let d = pegboard::discover::compiled_in()
            .find(|d| d.kind() == "classifier" && d.name() == "sentiment")
            .expect("registered");
        assert_eq!(d.version(), "0.1.0");
        assert_eq!(d.api(), "0.1");
    }
}
