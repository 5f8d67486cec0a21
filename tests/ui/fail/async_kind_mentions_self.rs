#[pegboard::kind]
pub trait Notifier {
    async fn forward(&self, to: &Self) -> String;
    async fn fork(&self) -> Option<Self>;
}

fn main() {}
