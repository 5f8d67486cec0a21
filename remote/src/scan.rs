//! Finding local plugin binaries (SPEC R2, R7): a plugin directory laid out
//! `<dir>/<name>/<version>/<name>-plugin`, where `<version>` may also be
//! written with a `v` (`v1.2.0`).
//!
//! ```text
//! plugins/
//!   classifier-remote/
//!     1.2.0/classifier-remote-plugin
//!     v1.10.1/classifier-remote-plugin     <- picked: highest version
//!     2.0.0-beta.1/classifier-remote-plugin
//!     notes.txt                             <- skipped, with why
//! ```
//!
//! Scanning only reads the directory: nothing is run. Which version runs is
//! [`LocalPlugin::pick`]'s choice (the highest, within an optional semver
//! requirement); the API version a binary requires is known once it
//! announces itself, and a host that refuses it (V3) falls back to the next
//! candidate.

use std::fmt;
use std::path::{Path, PathBuf};

use semver::{Version, VersionReq};

use pegboard_core::is_valid_name;

/// One plugin name found under a plugin directory, with every version of
/// its binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalPlugin {
    /// The plugin's name (its directory's).
    pub name: String,
    /// Its binaries, highest version first.
    pub versions: Vec<LocalBinary>,
}

/// One binary: `<dir>/<name>/<version>/<name>-plugin` (or
/// `<dir>/<name>/v<version>/<name>-plugin`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalBinary {
    /// The version (its directory's name, without a leading `v`).
    pub version: Version,
    /// The executable.
    pub path: PathBuf,
}

/// What a scan found, and what it passed over (a host logs those: a typo in
/// a directory name should not go unnoticed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    /// Every plugin with at least one usable binary, by name.
    pub plugins: Vec<LocalPlugin>,
    /// Entries that look like part of the layout but are not usable.
    pub skipped: Vec<Skipped>,
}

/// An entry of the plugin directory that was passed over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The entry.
    pub path: PathBuf,
    /// Why.
    pub reason: SkipReason,
}

/// Why an entry of the plugin directory was passed over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// A file where a `<name>` or `<version>` directory belongs.
    NotADirectory,
    /// A `<name>` that is not a valid plugin name (`[a-z0-9][a-z0-9_-]*`).
    InvalidName,
    /// A `<version>` that is not a semver version (with or without a
    /// leading `v`).
    InvalidVersion(String),
    /// The same version as another directory (`1.2.0` and `v1.2.0`): the
    /// binary of that one, named here, is used.
    DuplicateVersion(PathBuf),
    /// No `<name>-plugin` in the version directory.
    MissingBinary,
    /// `<name>-plugin` is not an executable file.
    NotExecutable,
    /// The entry could not be read.
    Unreadable(String),
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::NotADirectory => f.write_str("not a directory"),
            SkipReason::InvalidName => f.write_str("not a valid plugin name ([a-z0-9][a-z0-9_-]*)"),
            SkipReason::InvalidVersion(e) => write!(f, "not a semver version: {e}"),
            SkipReason::DuplicateVersion(used) => {
                write!(f, "the same version as {}, which is used", used.display())
            }
            SkipReason::MissingBinary => f.write_str("no `<name>-plugin` binary in it"),
            SkipReason::NotExecutable => f.write_str("not an executable file"),
            SkipReason::Unreadable(e) => write!(f, "cannot be read: {e}"),
        }
    }
}

/// Why a plugin directory cannot be scanned at all.
#[derive(Debug, thiserror::Error)]
#[error("cannot read plugin directory {}: {source}", path.display())]
pub struct ScanError {
    /// The directory.
    pub path: PathBuf,
    /// The I/O error.
    #[source]
    pub source: std::io::Error,
}

impl LocalPlugin {
    /// The binary to run: the highest version that matches `requirement`
    /// (any version without one). Pre-releases are only picked when the
    /// requirement names one, as cargo does.
    pub fn pick<'a>(&'a self, requirement: Option<&'a VersionReq>) -> Option<&'a LocalBinary> {
        self.candidates(requirement).next()
    }

    /// Every binary that matches `requirement`, highest version first: what
    /// a host tries in turn when a binary's API is refused.
    pub fn candidates<'a>(
        &'a self,
        requirement: Option<&'a VersionReq>,
    ) -> impl Iterator<Item = &'a LocalBinary> + 'a {
        self.versions.iter().filter(move |b| match requirement {
            Some(req) => req.matches(&b.version),
            None => b.version.pre.is_empty(),
        })
    }
}

/// Scans `dir` for `<name>/<version>/<name>-plugin` binaries (`<version>`
/// with or without a leading `v`).
///
/// Plugins come sorted by name, versions highest first. Entries that do not
/// fit the layout are listed in [`Scan::skipped`]; only a `dir` that cannot
/// be read is an error.
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("pegboard-scan-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// let scan = pegboard::remote::scan::scan(&dir)?;
/// for plugin in &scan.plugins {
///     if let Some(binary) = plugin.pick(None) {
///         println!("{} {} at {}", plugin.name, binary.version, binary.path.display());
///     }
/// }
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), pegboard::remote::scan::ScanError>(())
/// ```
pub fn scan(dir: &Path) -> Result<Scan, ScanError> {
    let error = |source| ScanError {
        path: dir.to_owned(),
        source,
    };
    let mut out = Scan::default();
    let mut names = sorted_entries(dir).map_err(error)?;
    names.retain(|(path, _)| {
        // Hidden entries (`.DS_Store`, editor files) are not part of the layout.
        !path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
    });
    for (path, is_dir) in names {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !is_dir {
            out.skipped.push(Skipped {
                path,
                reason: SkipReason::NotADirectory,
            });
            continue;
        }
        if !is_valid_name(&name) {
            out.skipped.push(Skipped {
                path,
                reason: SkipReason::InvalidName,
            });
            continue;
        }
        let mut versions = Vec::new();
        match sorted_entries(&path) {
            Err(e) => out.skipped.push(Skipped {
                path: path.clone(),
                reason: SkipReason::Unreadable(e.to_string()),
            }),
            Ok(entries) => {
                for (version_dir, is_dir) in entries {
                    match binary(&name, &version_dir, is_dir) {
                        Ok(b) => versions.push(b),
                        Err(reason) => out.skipped.push(Skipped {
                            path: version_dir,
                            reason,
                        }),
                    }
                }
            }
        }
        if !versions.is_empty() {
            // Stable: of `1.2.0` and `v1.2.0`, the first in path order
            // (`1.2.0`) comes first and is kept.
            versions.sort_by(|a, b| b.version.cmp(&a.version));
            let mut kept: Vec<LocalBinary> = Vec::with_capacity(versions.len());
            for b in versions {
                match kept.last() {
                    Some(last) if last.version == b.version => out.skipped.push(Skipped {
                        reason: SkipReason::DuplicateVersion(last.path.clone()),
                        path: b
                            .path
                            .parent()
                            .map_or_else(|| b.path.clone(), Path::to_owned),
                    }),
                    _ => kept.push(b),
                }
            }
            let versions = kept;
            out.plugins.push(LocalPlugin { name, versions });
        }
    }
    Ok(out)
}

/// The binary of `<name>/<version>/`, or why there is none.
fn binary(name: &str, version_dir: &Path, is_dir: bool) -> Result<LocalBinary, SkipReason> {
    if !is_dir {
        return Err(SkipReason::NotADirectory);
    }
    let raw = version_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // `v1.2.0` is read as `1.2.0`, unless `1.2.0` is not a version either.
    let version = Version::parse(&raw)
        .or_else(|e| match raw.strip_prefix('v').map(Version::parse) {
            Some(Ok(v)) => Ok(v),
            _ => Err(e),
        })
        .map_err(|e| SkipReason::InvalidVersion(format!("`{raw}`: {e}")))?;
    let path = version_dir.join(format!("{name}-plugin"));
    let metadata = match std::fs::metadata(&path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(SkipReason::MissingBinary);
        }
        Err(e) => return Err(SkipReason::Unreadable(e.to_string())),
    };
    if !metadata.is_file() || !is_executable(&metadata) {
        return Err(SkipReason::NotExecutable);
    }
    Ok(LocalBinary { version, path })
}

#[cfg(unix)]
fn is_executable(metadata: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    metadata.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_: &std::fs::Metadata) -> bool {
    true
}

/// The entries of `dir`, sorted by path, each with whether it is a
/// directory (following symlinks: a linked version directory counts).
fn sorted_entries(dir: &Path) -> std::io::Result<Vec<(PathBuf, bool)>> {
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let is_dir = path.is_dir();
        entries.push((path, is_dir));
    }
    entries.sort();
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory under the system's temp dir, removed when dropped.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(test: &str) -> Self {
            let path = std::env::temp_dir().join(format!(
                "pegboard-scan-{test}-{}-{:?}",
                std::process::id(),
                std::time::SystemTime::now()
            ));
            std::fs::create_dir_all(&path).unwrap();
            TempDir(path)
        }

        /// Creates `rel` (and its parents) as a file, executable or not.
        fn file(&self, rel: &str, executable: bool) -> PathBuf {
            let path = self.0.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, "#!/bin/sh\n").unwrap();
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = if executable { 0o755 } else { 0o644 };
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            }
            let _ = executable;
            path
        }

        fn dir(&self, rel: &str) -> PathBuf {
            let path = self.0.join(rel);
            std::fs::create_dir_all(&path).unwrap();
            path
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn finds_every_version_highest_first_and_says_what_it_skipped() {
        let dir = TempDir::new("layout");
        let b120 = dir.file("classifier-remote/1.2.0/classifier-remote-plugin", true);
        let b1101 = dir.file("classifier-remote/1.10.1/classifier-remote-plugin", true);
        let beta = dir.file(
            "classifier-remote/2.0.0-beta.1/classifier-remote-plugin",
            true,
        );
        dir.file("classifier-remote/notes.txt", false);
        dir.dir("classifier-remote/1.3"); // not semver
        dir.dir("classifier-remote/1.4.0"); // no binary
        dir.file("classifier-remote/1.5.0/classifier-remote-plugin", false); // not executable
        dir.file("classifier-remote/1.6.0/other-plugin", true); // wrong binary name
        let store = dir.file("store-remote/0.1.0/store-remote-plugin", true);
        dir.file("Bad_Name/1.0.0/Bad_Name-plugin", true);
        dir.file("README.md", false);
        dir.dir(".cache/1.0.0");
        dir.dir("empty");

        let scan = scan(&dir.0).unwrap();
        assert_eq!(
            scan.plugins,
            [
                LocalPlugin {
                    name: "classifier-remote".into(),
                    versions: vec![
                        LocalBinary {
                            version: v("2.0.0-beta.1"),
                            path: beta.clone()
                        },
                        LocalBinary {
                            version: v("1.10.1"),
                            path: b1101.clone()
                        },
                        LocalBinary {
                            version: v("1.2.0"),
                            path: b120.clone()
                        },
                    ],
                },
                LocalPlugin {
                    name: "store-remote".into(),
                    versions: vec![LocalBinary {
                        version: v("0.1.0"),
                        path: store
                    }],
                },
            ]
        );
        let skipped: Vec<(String, String)> = scan
            .skipped
            .iter()
            .map(|s| {
                let rel = s.path.strip_prefix(&dir.0).unwrap();
                (rel.display().to_string(), s.reason.to_string())
            })
            .collect();
        let expect = |rel: &str, reason: &str| {
            assert!(
                skipped
                    .iter()
                    .any(|(r, why)| r == rel && why.starts_with(reason)),
                "{rel}: {reason} not in {skipped:#?}"
            );
        };
        expect("Bad_Name", "not a valid plugin name");
        expect("README.md", "not a directory");
        expect("classifier-remote/notes.txt", "not a directory");
        expect("classifier-remote/1.3", "not a semver version: `1.3`");
        expect("classifier-remote/1.4.0", "no `<name>-plugin` binary");
        expect("classifier-remote/1.5.0", "not an executable file");
        expect("classifier-remote/1.6.0", "no `<name>-plugin` binary");
        assert_eq!(skipped.len(), 7, "{skipped:#?}");
        assert!(!skipped.iter().any(|(r, _)| r.starts_with(".cache")));
        assert!(
            !skipped.iter().any(|(r, _)| r == "empty"),
            "an empty plugin dir is not an error"
        );
    }

    #[test]
    fn a_version_directory_may_start_with_v() {
        let dir = TempDir::new("v-prefix");
        let v123 = dir.file("sentiment/v1.2.3/sentiment-plugin", true);
        let v110 = dir.file("sentiment/1.1.0/sentiment-plugin", true);
        // Both spellings of one version: the plain one is kept.
        let plain = dir.file("sentiment/1.0.0/sentiment-plugin", true);
        dir.file("sentiment/v1.0.0/sentiment-plugin", true);
        dir.dir("sentiment/vnext");
        let scan = scan(&dir.0).unwrap();
        assert_eq!(
            scan.plugins,
            [LocalPlugin {
                name: "sentiment".into(),
                versions: vec![
                    LocalBinary {
                        version: v("1.2.3"),
                        path: v123
                    },
                    LocalBinary {
                        version: v("1.1.0"),
                        path: v110
                    },
                    LocalBinary {
                        version: v("1.0.0"),
                        path: plain.clone()
                    },
                ],
            }]
        );
        let skipped: Vec<(PathBuf, String)> = scan
            .skipped
            .iter()
            .map(|s| {
                let rel = s.path.strip_prefix(&dir.0).unwrap().to_owned();
                (rel, s.reason.to_string())
            })
            .collect();
        assert_eq!(skipped.len(), 2, "{skipped:#?}");
        assert!(
            skipped.contains(&(
                PathBuf::from("sentiment/v1.0.0"),
                format!("the same version as {}, which is used", plain.display())
            )),
            "{skipped:#?}"
        );
        assert!(
            skipped
                .iter()
                .any(|(p, why)| p == Path::new("sentiment/vnext")
                    && why.starts_with("not a semver version: `vnext`")),
            "{skipped:#?}"
        );
        assert_eq!(
            scan.plugins[0]
                .pick(Some(&VersionReq::parse("^1.2").unwrap()))
                .map(|b| b.version.to_string())
                .as_deref(),
            Some("1.2.3")
        );
    }

    #[test]
    fn picks_the_highest_release_within_a_requirement() {
        let dir = TempDir::new("pick");
        for version in ["1.2.0", "1.10.1", "2.0.0-beta.1", "0.9.0"] {
            dir.file(&format!("x/{version}/x-plugin"), true);
        }
        let scan = scan(&dir.0).unwrap();
        let x = &scan.plugins[0];
        let pick = |req: Option<&str>| {
            let req = req.map(|r| VersionReq::parse(r).unwrap());
            x.pick(req.as_ref()).map(|b| b.version.to_string())
        };
        assert_eq!(
            pick(None).as_deref(),
            Some("1.10.1"),
            "no pre-release by default"
        );
        assert_eq!(pick(Some("^1.2")).as_deref(), Some("1.10.1"));
        assert_eq!(pick(Some("~1.2")).as_deref(), Some("1.2.0"));
        assert_eq!(pick(Some(">=2.0.0-beta")).as_deref(), Some("2.0.0-beta.1"));
        assert_eq!(pick(Some("^3")), None);
        let fallbacks: Vec<String> = x.candidates(None).map(|b| b.version.to_string()).collect();
        assert_eq!(fallbacks, ["1.10.1", "1.2.0", "0.9.0"]);
    }

    #[test]
    fn an_unreadable_plugin_directory_is_an_error_naming_it() {
        let dir = TempDir::new("missing");
        let missing = dir.0.join("nope");
        let e = scan(&missing).unwrap_err();
        assert!(
            e.to_string().starts_with("cannot read plugin directory"),
            "{e}"
        );
        assert!(e.to_string().contains("nope"), "{e}");
    }
}
