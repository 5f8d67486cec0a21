//! `store.file`: documents appended to a JSON-lines file, so they survive a
//! restart. The file is read once when the plugin is built.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use ingest_kinds::{Document, Store, StoreError};

/// Configuration of `[plugins.store.file]`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct FileConfig {
    /// The JSON-lines file documents are appended to (created if missing).
    pub path: PathBuf,
    /// Flush to the operating system after every put.
    pub sync: bool,
}

impl Default for FileConfig {
    fn default() -> Self {
        FileConfig {
            path: PathBuf::from("pegboard-documents.jsonl"),
            sync: true,
        }
    }
}

/// Keeps documents in a JSON-lines file.
#[pegboard::plugin(name = "file", version = "0.1.0", api = "0.1", kind = Store, config = FileConfig)]
pub struct FileStore {
    inner: Mutex<Inner>,
    sync: bool,
}

struct Inner {
    file: File,
    docs: BTreeMap<String, Document>,
}

impl TryFrom<FileConfig> for FileStore {
    type Error = StoreError;

    fn try_from(config: FileConfig) -> Result<Self, StoreError> {
        let mut docs = BTreeMap::new();
        if config.path.exists() {
            for (n, line) in BufReader::new(File::open(&config.path)?)
                .lines()
                .enumerate()
            {
                let line = line?;
                if line.trim().is_empty() {
                    continue;
                }
                let doc: Document = serde_json::from_str(&line).map_err(|e| {
                    StoreError::Corrupt(format!("{} line {}: {e}", config.path.display(), n + 1))
                })?;
                docs.insert(doc.id.clone(), doc);
            }
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&config.path)?;
        Ok(FileStore {
            inner: Mutex::new(Inner { file, docs }),
            sync: config.sync,
        })
    }
}

impl FileStore {
    fn inner(&self) -> MutexGuard<'_, Inner> {
        // Writes complete before the map is updated, so a poisoned lock is still consistent.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Store for FileStore {
    fn put(&self, document: Document) -> Result<(), StoreError> {
        let mut line =
            serde_json::to_string(&document).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        line.push('\n');
        let mut inner = self.inner();
        inner.file.write_all(line.as_bytes())?;
        if self.sync {
            inner.file.flush()?;
        }
        inner.docs.insert(document.id.clone(), document);
        Ok(())
    }

    fn get(&self, id: &str) -> Result<Option<Document>, StoreError> {
        Ok(self.inner().docs.get(id).cloned())
    }

    fn all(&self) -> Result<Vec<Document>, StoreError> {
        Ok(self.inner().docs.values().cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_survive_a_new_instance() {
        let path =
            std::env::temp_dir().join(format!("store-file-test-{}.jsonl", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let config = FileConfig {
            path: path.clone(),
            sync: true,
        };
        let doc = Document {
            id: "1".into(),
            text: "hello".into(),
            tags: vec!["greeting".into()],
            classifiers: Default::default(),
        };
        FileStore::try_from(config.clone())
            .unwrap()
            .put(doc.clone())
            .unwrap();
        let reopened = FileStore::try_from(config).unwrap();
        assert_eq!(reopened.get("1").unwrap(), Some(doc));
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn a_corrupt_file_is_an_error_not_a_panic() {
        let path =
            std::env::temp_dir().join(format!("store-file-bad-{}.jsonl", std::process::id()));
        std::fs::write(&path, "{not json\n").unwrap();
        let err = FileStore::try_from(FileConfig {
            path: path.clone(),
            sync: true,
        })
        .err()
        .unwrap();
        assert!(err.to_string().contains("line 1"), "{err}");
        std::fs::remove_file(&path).unwrap();
    }
}
