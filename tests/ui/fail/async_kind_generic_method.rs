#[pegboard::kind]
pub trait Notifier {
    async fn notify<T: std::fmt::Display + Sync>(&self, message: &T) -> String;
    async fn repeat<const N: usize>(&self) -> String;
}

fn main() {}
