//! `config default`: a config file with every setting's default, under its
//! description (the host's own sections commented out).

use std::io::Write;

use super::builder::Cli;
use super::failed::{Failed, written};

impl Cli {
    pub(super) fn config_default(&self, out: &mut dyn Write) -> Result<(), Failed> {
        let (validator, _) = self.validator(&self.catalog()?);
        written(write!(out, "{}", validator.default_document()))
    }
}
