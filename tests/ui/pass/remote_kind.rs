//! A remote kind with every accepted argument form, combined with `name`,
//! registered as an ordinary plugin, and called through a stub whose
//! in-memory transport hands the call to the generated server adapter.

use std::sync::Arc;

use pegboard::remote::{
    InvokeRequest, InvokeResponse, RemoteCallError, RemoteKind, TransportError, stub,
};
use pegboard::remote::invoke_response::Outcome;

#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum ShelfError {
    Missing(String),
    Call(String),
}

impl From<RemoteCallError> for ShelfError {
    fn from(e: RemoteCallError) -> Self {
        ShelfError::Call(e.to_string())
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Book {
    pub title: String,
}

#[pegboard::kind(name = "shelf", remote)]
pub trait Bookshelf: Send + Sync + 'static {
    /// Doc comments are fine.
    fn find(&self, title: &str) -> Result<Book, ShelfError>;
    fn count(&self, books: &[Book], extra: Option<u32>) -> Result<usize, ShelfError>;
    fn put(&self, book: &Book, copies: u8) -> std::result::Result<(), ShelfError>;
    fn r#type(&self) -> core::result::Result<String, ShelfError>;
    fn empty(&self) -> Result<(), ShelfError>;
}

#[derive(Default)]
#[pegboard::plugin(name = "oak", version = "1.0.0", api = "0.1", kind = Bookshelf)]
pub struct Oak;

impl Bookshelf for Oak {
    fn find(&self, title: &str) -> Result<Book, ShelfError> {
        match title {
            "" => Err(ShelfError::Missing(title.to_owned())),
            _ => Ok(Book { title: title.to_owned() }),
        }
    }
    fn count(&self, books: &[Book], extra: Option<u32>) -> Result<usize, ShelfError> {
        Ok(books.len() + extra.unwrap_or(0) as usize)
    }
    fn put(&self, _book: &Book, _copies: u8) -> Result<(), ShelfError> {
        Ok(())
    }
    fn r#type(&self) -> Result<String, ShelfError> {
        Ok("oak".into())
    }
    fn empty(&self) -> Result<(), ShelfError> {
        Ok(())
    }
}

fn main() {
    assert_eq!(<dyn Bookshelf as pegboard::Kind>::NAME, "shelf");
    assert_eq!(
        <dyn Bookshelf as RemoteKind>::OPERATIONS,
        ["find", "count", "put", "type", "empty"]
    );

    let registry = pegboard::Registry::builder().build().unwrap();
    let oak: Arc<dyn Bookshelf> = registry.get::<dyn Bookshelf>("oak").unwrap();

    let transport = Arc::new(move |req: InvokeRequest| -> Result<InvokeResponse, TransportError> {
        assert_eq!((req.kind.as_str(), req.plugin.as_str()), ("shelf", "oak"));
        let outcome = match <dyn Bookshelf as RemoteKind>::serve(&*oak, &req.operation, &req.request) {
            Ok(bytes) => Outcome::Response(bytes),
            Err(e) => Outcome::Error(e),
        };
        Ok(InvokeResponse { outcome: Some(outcome) })
    });
    let remote: Arc<dyn Bookshelf> = stub::<dyn Bookshelf>("oak", transport);

    let dune = Book { title: "Dune".into() };
    assert_eq!(remote.find("Dune"), Ok(dune.clone()));
    assert_eq!(remote.find(""), Err(ShelfError::Missing(String::new())));
    assert_eq!(remote.count(&[dune.clone(), dune.clone()], Some(1)), Ok(3));
    assert_eq!(remote.put(&dune, 2), Ok(()));
    assert_eq!(remote.r#type(), Ok("oak".to_owned()));
    assert_eq!(remote.empty(), Ok(()));
}
