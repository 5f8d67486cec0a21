//! `config check FILE`: every problem in a config file, the host's sections
//! included; `run` checks its file the same way before starting anything.

use std::io::Write;
use std::path::Path;

use pegboard_core::config::Document;

use super::builder::Cli;
use super::failed::Failed;

impl Cli {
    /// `config check`: every problem in the file, the host sections included.
    pub(super) fn config_check(&self, path: &Path, out: &mut dyn Write) -> Result<(), Failed> {
        let document = self.load(path)?;
        let (plugins, disabled) = self.checked(path, document)?;
        writeln!(
            out,
            "{}: valid ({plugins} plugins, {disabled} disabled)",
            path.display()
        )
        .map_err(|e| Failed::usage(e.to_string()))
    }

    /// Every problem in `document`; on success, how many plugins it
    /// configures and how many of them it disables.
    pub(super) fn checked(
        &self,
        path: &Path,
        mut document: Document,
    ) -> Result<(usize, usize), Failed> {
        let catalog = self.catalog_for(&document)?;
        let (validator, schema_failures) = self.validator(&catalog);
        let mut errors: Vec<String> = validator
            .apply_env(&mut document, self.env_vars())
            .iter()
            .map(ToString::to_string)
            .collect();
        let validated = validator.validate(&document);
        errors.extend(validated.errors().map(ToString::to_string));
        for (i, f) in &schema_failures {
            errors.push(format!("{}: {f}", catalog.id(*i)));
        }
        if errors.is_empty() {
            let disabled = validated.plugins.iter().filter(|p| !p.enabled).count();
            Ok((validated.plugins.len(), disabled))
        } else {
            Err(Failed::invalid(format!(
                "{}: {} error(s):\n{}",
                path.display(),
                errors.len(),
                errors
                    .iter()
                    .map(|e| format!("  - {e}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            )))
        }
    }
}
