/// Serde, but a failed remote call cannot become one.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Oops(String);

#[pegboard::kind(remote)]
pub trait Classifier {
    fn classify(&self, text: &str) -> Result<Vec<String>, Oops>;
}

fn main() {}
