//! Test fixture, not an example to follow: "version 0.2.0" of the
//! sentiment plugin, built against a pegboard API this host does not
//! provide (99.0). `tests/process.rs` puts it in a plugin directory as
//! `sentiment/0.2.0/sentiment-plugin`, above the real 0.1.0, to check that
//! the host falls back to the highest version whose API it accepts
//! (SPEC R2, V3).

use std::sync::Arc;

use ingest_kinds::{Classifier, ClassifyError};
use pegboard::remote::{Metadata, PluginProcess, ServeError};

struct Next;

impl Classifier for Next {
    fn classify(&self, _: &str) -> Result<Vec<String>, ClassifyError> {
        Ok(vec!["next".to_owned()])
    }
}

fn main() -> Result<(), ServeError> {
    let mut metadata = Metadata::new("0.2.0");
    metadata.api = "99.0".to_owned();
    PluginProcess::new()
        .plugin_with::<dyn Classifier>("sentiment", Arc::new(Next), metadata)
        .run()
}
