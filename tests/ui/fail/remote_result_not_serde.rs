#[derive(serde::Serialize, serde::Deserialize)]
pub struct Oops(String);
impl From<pegboard::remote::RemoteCallError> for Oops {
    fn from(e: pegboard::remote::RemoteCallError) -> Self {
        Oops(e.to_string())
    }
}

/// Serializes, but does not deserialize.
#[derive(serde::Serialize)]
pub struct Tags(Vec<String>);

#[pegboard::kind(remote)]
pub trait Classifier {
    fn classify(&self, text: &str) -> Result<Tags, Oops>;
}

fn main() {}
