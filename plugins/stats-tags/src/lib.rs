//! `stats.tags`: how many stored documents carry each tag. Depends on
//! `store.memory`, which it reaches through its constructor's context.

use std::collections::BTreeMap;
use std::sync::Arc;

use ingest_kinds::{Stats, Store, StoreError};

/// Counts documents by tag, reading them from the store.
#[pegboard::plugin(
    name = "tags",
    version = "0.1.0",
    api = "0.1",
    kind = Stats,
    depends_on = ["store.memory@^0.1"],
    new = TagStats::new,
)]
pub struct TagStats {
    store: Arc<dyn Store>,
}

impl TagStats {
    fn new(ctx: &pegboard::Context<'_>) -> Result<Self, pegboard::Error> {
        Ok(TagStats {
            store: ctx.dependency::<dyn Store>("memory")?,
        })
    }
}

impl Stats for TagStats {
    fn tag_counts(&self) -> Result<BTreeMap<String, usize>, StoreError> {
        let mut counts = BTreeMap::new();
        for doc in self.store.all()? {
            for tag in doc.tags {
                *counts.entry(tag).or_insert(0) += 1;
            }
        }
        Ok(counts)
    }
}
