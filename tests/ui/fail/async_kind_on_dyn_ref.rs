//! The boxed forwarder is on `Arc<dyn Notifier>`; a bare `&dyn Notifier`
//! finds the trait's own method, which needs `Self: Sized`.

#[pegboard::kind]
pub trait Notifier {
    async fn notify(&self, message: &str) -> String;
}

async fn call(notifier: &dyn Notifier) -> String {
    notifier.notify("hi").await
}

fn main() {
    let _ = call;
}
