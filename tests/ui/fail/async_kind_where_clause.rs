#[pegboard::kind]
pub trait Notifier {
    async fn notify<'a>(&'a self, message: &'a str) -> String
    where
        String: From<&'a str>;
}

fn main() {}
