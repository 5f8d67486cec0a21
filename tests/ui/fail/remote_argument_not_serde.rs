#[derive(serde::Serialize, serde::Deserialize)]
pub struct Oops(String);
impl From<pegboard::remote::RemoteCallError> for Oops {
    fn from(e: pegboard::remote::RemoteCallError) -> Self {
        Oops(e.to_string())
    }
}

/// Not serde.
pub struct Document {
    pub text: String,
}

#[pegboard::kind(remote)]
pub trait Classifier {
    fn classify(&self, document: &Document) -> Result<Vec<String>, Oops>;
}

fn main() {}
