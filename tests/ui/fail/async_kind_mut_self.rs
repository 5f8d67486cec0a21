#[pegboard::kind]
pub trait Notifier {
    async fn notify(&mut self, message: &str) -> String;
}

fn main() {}
