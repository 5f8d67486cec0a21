//! `config schema`: one JSON Schema for the whole config file.

use std::io::Write;

use super::builder::Cli;
use super::failed::{Failed, written};

impl Cli {
    pub(super) fn config_schema(&self, out: &mut dyn Write) -> Result<(), Failed> {
        let (validator, _) = self.validator(&self.catalog()?);
        let schema = validator.document_schema(&[]);
        let text =
            serde_json::to_string_pretty(&schema).map_err(|e| Failed::usage(e.to_string()))?;
        written(writeln!(out, "{text}"))
    }
}
