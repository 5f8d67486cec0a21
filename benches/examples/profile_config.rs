//! Validates P4b's document (1,000 plugin sections) R times, for a
//! profiler: `valgrind --tool=callgrind target/release/examples/profile_config 10`.
//! Criterion's harness would drown the validator in its own instructions;
//! this is P4b's pegboard side and nothing else.

use std::hint::black_box;
use std::sync::Arc;

use pegboard::config::{ConfigValidator, Document, PluginSchema};
#[path = "../shared/p4b_config.rs"]
mod p4b_config;
use p4b_config::{KIND, SECTIONS, ServiceConfig, config_document, section_name};

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10);
    let schema = Arc::new(schemars::schema_for!(ServiceConfig).to_value());
    let defaults = serde_json::to_value(ServiceConfig::default()).expect("defaults serialize");
    let validator = ConfigValidator::new((0..SECTIONS).map(|i| {
        PluginSchema::new(
            KIND,
            section_name(i),
            Some(Arc::clone(&schema)),
            defaults.clone(),
        )
    }));
    let doc = Document::from_toml_str(&config_document()).expect("the document parses");
    for _ in 0..rounds {
        black_box(validator.validate(black_box(&doc)));
    }
}
