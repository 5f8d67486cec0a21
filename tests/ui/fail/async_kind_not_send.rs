use std::rc::Rc;

#[pegboard::kind]
pub trait Notifier {
    async fn notify(&self, message: &str) -> String;
}

#[derive(Default)]
#[pegboard::plugin(name = "email", version = "0.1.0", api = "0.1", kind = Notifier)]
pub struct Email;

impl Notifier for Email {
    async fn notify(&self, message: &str) -> String {
        let shared = Rc::new(message.to_owned());
        std::future::ready(()).await;
        shared.to_string()
    }
}

fn main() {}
