#[pegboard::kind]
pub trait Notifier {
    async fn notify(message: &str) -> String;
}

fn main() {}
