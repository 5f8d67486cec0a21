#[derive(serde::Serialize, serde::Deserialize)]
pub struct Oops(String);
impl From<pegboard::remote::RemoteCallError> for Oops {
    fn from(e: pegboard::remote::RemoteCallError) -> Self {
        Oops(e.to_string())
    }
}

#[pegboard::kind(remote)]
pub trait Classifier {
    async fn classify(&self, text: &str) -> Result<Vec<String>, Oops>;
}

fn main() {}
