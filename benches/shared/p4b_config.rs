//! P4b's input, shared by its benchmark (`benches/resolve.rs`) and its
//! profiling example (`examples/profile_config.rs`): a realistic config type
//! and a document of `SECTIONS` plugin sections of it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Plugin sections in the document.
pub const SECTIONS: usize = 1_000;

/// A realistic plugin config: strings, bounded numbers, an enum, a nested
/// struct and a map. Fields left out take their defaults, as pegboard does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ServiceConfig {
    /// Where to send requests.
    endpoint: String,
    /// The region to call.
    region: String,
    /// The port to listen on.
    port: u16,
    /// Time allowed for one request.
    #[schemars(range(min = 1, max = 600_000))]
    timeout_ms: u64,
    /// Fraction of requests traced.
    #[schemars(range(min = 0.0, max = 1.0))]
    sample_rate: f64,
    /// How to trade speed against safety.
    mode: Mode,
    /// Retries of failed requests.
    retry: Retry,
    /// Free-form labels added to every metric.
    labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Fast,
    Safe,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Retry {
    #[schemars(range(max = 10))]
    max_attempts: u32,
    #[schemars(range(min = 1, max = 60_000))]
    backoff_ms: u64,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            endpoint: "http://localhost:8080".to_owned(),
            region: "local".to_owned(),
            port: 8080,
            timeout_ms: 5_000,
            sample_rate: 0.1,
            mode: Mode::Safe,
            retry: Retry::default(),
            labels: BTreeMap::new(),
        }
    }
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            max_attempts: 3,
            backoff_ms: 100,
        }
    }
}

pub const KIND: &str = "service";

pub fn section_name(i: usize) -> String {
    format!("s{i:04}")
}

/// One section per plugin, every field set (the retry table in one of three
/// left to its defaults, as it would be in a real file).
pub fn config_document() -> String {
    let regions = ["eu-west-1", "us-east-2", "ap-south-1"];
    let mut text = String::new();
    for i in 0..SECTIONS {
        let name = section_name(i);
        text.push_str(&format!(
            "[plugins.{KIND}.{name}]\n\
             endpoint = \"https://{name}.internal.example:8443/api/v2\"\n\
             region = \"{region}\"\n\
             port = {port}\n\
             timeout_ms = {timeout}\n\
             sample_rate = {rate}\n\
             mode = \"{mode}\"\n\
             labels = {{ team = \"team-{team}\", tier = \"{tier}\", owner = \"{name}@example.com\" }}\n",
            region = regions[i % regions.len()],
            port = 8000 + i,
            timeout = 250 * (1 + i % 40),
            rate = (i % 100) as f64 / 100.0,
            mode = if i % 2 == 0 { "fast" } else { "safe" },
            team = i % 17,
            tier = if i % 5 == 0 { "gold" } else { "silver" },
        ));
        if i % 3 != 0 {
            text.push_str(&format!(
                "retry = {{ max_attempts = {}, backoff_ms = {} }}\n",
                i % 7,
                50 * (1 + i % 20)
            ));
        }
        text.push('\n');
    }
    text
}
