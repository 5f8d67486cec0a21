//! `store.memory`: documents kept in memory (lost on restart).

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use ingest_kinds::{Document, Store, StoreError};

/// Configuration of `[plugins.store.memory]`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct MemoryConfig {
    /// The most documents kept; a put beyond it fails.
    #[schemars(range(min = 1))]
    pub capacity: usize,
}

impl Default for MemoryConfig {
    fn default() -> Self {
        MemoryConfig { capacity: 100_000 }
    }
}

/// Keeps documents in memory.
#[pegboard::plugin(name = "memory", version = "0.1.0", api = "0.1", kind = Store, config = MemoryConfig)]
pub struct MemoryStore {
    capacity: usize,
    docs: Mutex<BTreeMap<String, Document>>,
}

impl From<MemoryConfig> for MemoryStore {
    fn from(config: MemoryConfig) -> Self {
        MemoryStore {
            capacity: config.capacity,
            docs: Mutex::default(),
        }
    }
}

impl MemoryStore {
    fn docs(&self) -> MutexGuard<'_, BTreeMap<String, Document>> {
        // Every write replaces a whole entry, so a poisoned map is still consistent.
        self.docs.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Store for MemoryStore {
    fn put(&self, document: Document) -> Result<(), StoreError> {
        let mut docs = self.docs();
        if docs.len() >= self.capacity && !docs.contains_key(&document.id) {
            return Err(StoreError::Full {
                capacity: self.capacity,
            });
        }
        docs.insert(document.id.clone(), document);
        Ok(())
    }

    fn get(&self, id: &str) -> Result<Option<Document>, StoreError> {
        Ok(self.docs().get(id).cloned())
    }

    fn all(&self) -> Result<Vec<Document>, StoreError> {
        Ok(self.docs().values().cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(id: &str) -> Document {
        Document {
            id: id.into(),
            text: "t".into(),
            tags: vec![],
            classifiers: Default::default(),
        }
    }

    #[test]
    fn keeps_documents_up_to_capacity() {
        let store = MemoryStore::from(MemoryConfig { capacity: 1 });
        store.put(doc("a")).unwrap();
        store.put(doc("a")).unwrap();
        assert!(matches!(
            store.put(doc("b")),
            Err(StoreError::Full { capacity: 1 })
        ));
        assert_eq!(store.get("a").unwrap(), Some(doc("a")));
        assert_eq!(store.get("b").unwrap(), None);
    }
}
