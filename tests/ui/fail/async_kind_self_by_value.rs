#[pegboard::kind]
pub trait Notifier {
    async fn notify(self, message: &str) -> String;
    async fn typed(self: &Self) -> String;
}

fn main() {}
