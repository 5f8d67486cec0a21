#[pegboard::kind]
pub trait Notifier {
    async fn notify(&self, message: impl std::fmt::Display) -> String;
    async fn render(&self) -> Box<impl std::fmt::Display>;
}

fn main() {}
