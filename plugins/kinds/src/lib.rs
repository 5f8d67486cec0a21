//! The plugin kinds of the pegboard reference application, a small
//! document-ingest service: documents are classified by every running
//! [`Classifier`] and kept in a [`Store`]; `routes` plugins (pegboard's
//! HTTP kind) serve views of them.
#![warn(missing_docs)]

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A stored document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// Its id, unique within a store.
    pub id: String,
    /// The text.
    pub text: String,
    /// The tags the classifiers gave it, sorted and de-duplicated.
    pub tags: Vec<String>,
    /// What each classifier answered, by plugin id.
    #[serde(default)]
    pub classifiers: BTreeMap<String, ClassifierOutcome>,
}

/// One classifier's part of classifying a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassifierOutcome {
    /// `ok`, `error`, `timeout`, `panic`, `rejected` or `skipped`.
    pub result: String,
    /// Why it gave no tags, when it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store is full.
    #[error("the store is full ({capacity} documents)")]
    Full {
        /// Its capacity.
        capacity: usize,
    },
    /// The backing storage failed.
    #[error("storage error: {0}")]
    Io(#[from] std::io::Error),
    /// Stored data could not be read back.
    #[error("corrupt record: {0}")]
    Corrupt(String),
}

/// Where documents live (kind `store`).
#[pegboard::kind]
pub trait Store {
    /// Stores a document, replacing one with the same id.
    fn put(&self, document: Document) -> Result<(), StoreError>;
    /// The document with this id.
    fn get(&self, id: &str) -> Result<Option<Document>, StoreError>;
    /// Every document, in id order.
    fn all(&self) -> Result<Vec<Document>, StoreError>;
}

/// A classifier could not classify a text.
///
/// It travels as JSON (a string) when the classifier is remote; a failed
/// remote call becomes one whose message is the call's error.
#[derive(Debug, thiserror::Error, Serialize, Deserialize)]
#[error("{0}")]
pub struct ClassifyError(pub String);

#[cfg(feature = "remote")]
impl From<pegboard::remote::RemoteCallError> for ClassifyError {
    fn from(err: pegboard::remote::RemoteCallError) -> Self {
        ClassifyError(err.to_string())
    }
}

/// Gives a text tags (kind `classifier`). The host asks every running
/// classifier and keeps what each one answered.
///
/// With this crate's `remote` feature it is a remote kind
/// (`#[pegboard::kind(remote)]`): a classifier may run in another process.
/// The feature is off by default so that hosts without remote plugins do
/// not build the gRPC stack.
#[cfg_attr(feature = "remote", pegboard::kind(remote))]
#[cfg_attr(not(feature = "remote"), pegboard::kind)]
pub trait Classifier {
    /// The tags for `text` (possibly none).
    fn classify(&self, text: &str) -> Result<Vec<String>, ClassifyError>;
}
