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
        let checked = self.checked(path, document, true)?;
        writeln!(
            out,
            "{}: valid ({} plugins, {} disabled)",
            path.display(),
            checked.plugins,
            checked.disabled
        )
        .map_err(|e| Failed::usage(e.to_string()))
    }

    /// Every problem in `document`. Strict (`config check`, `run --strict`,
    /// `[host] strict = true`): any problem refuses the file. Otherwise
    /// (`run`): only problems of the whole document refuse it (it cannot be
    /// parsed, an unknown section or plugin, a bad override variable); a
    /// plugin's invalid section fails just that plugin (the registry's build
    /// reports it `failed` with reason `invalid_config`), and an override for
    /// a kind that does not exist is a warning; both are returned as
    /// warnings.
    pub(super) fn checked(
        &self,
        path: &Path,
        mut document: Document,
        strict: bool,
    ) -> Result<Checked, Failed> {
        let catalog = self.catalog_for(&document)?;
        let (validator, schema_failures) = self.validator(&catalog);
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        for e in validator.apply_env(&mut document, self.env_vars()) {
            if e.is_lenient() && !strict {
                warnings.push(e.to_string());
            } else {
                errors.push(e.to_string());
            }
        }
        let validated = validator.validate(&document);
        errors.extend(validated.document_errors.iter().map(ToString::to_string));
        let per_plugin = validated
            .plugins
            .iter()
            .flat_map(|p| p.value.as_ref().err().into_iter().flatten())
            .map(ToString::to_string)
            .chain(
                schema_failures
                    .iter()
                    .map(|(i, f)| format!("{}: {f}", catalog.id(*i))),
            );
        if strict {
            errors.extend(per_plugin);
        } else {
            warnings.extend(per_plugin);
        }
        // A refused file lists every problem, the ones that alone would
        // only have failed a plugin too.
        if !errors.is_empty() {
            errors.append(&mut warnings);
        }
        if errors.is_empty() {
            let disabled = validated.plugins.iter().filter(|p| !p.enabled).count();
            Ok(Checked {
                plugins: validated.plugins.len(),
                disabled,
                warnings,
            })
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

/// What [`Cli::checked`] found in a file it accepts.
pub(super) struct Checked {
    /// The plugins it configures.
    pub(super) plugins: usize,
    /// How many of them it disables.
    pub(super) disabled: usize,
    /// What fails a plugin, or nothing, rather than the whole file.
    pub(super) warnings: Vec<String>,
}
