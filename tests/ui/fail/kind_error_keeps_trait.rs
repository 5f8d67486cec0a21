// On an error in the attribute the trait and its `Kind` impl are kept, its
// `async fn`s callable through `Arc<dyn Greeter>`: `Arc`, which only the
// trait uses, is not reported unused, and the plugin of the kind, the
// lookup and the call compile; the error is the only message.
use std::sync::Arc;

#[pegboard::kind(nme = "greeter")]
pub trait Greeter {
    fn greet(&self) -> Arc<str>;
    async fn greet_later(&self) -> String;
}

#[derive(Default)]
#[pegboard::plugin(name = "english", version = "1.0.0", api = "0.1", kind = Greeter)]
pub struct English;

impl Greeter for English {
    fn greet(&self) -> std::sync::Arc<str> {
        "hello".into()
    }
    async fn greet_later(&self) -> String {
        "hello".into()
    }
}

fn main() {
    let registry = pegboard::Registry::builder().build().unwrap();
    if let Ok(greeter) = registry.get::<dyn Greeter>("english") {
        drop(greeter.greet_later());
    }
}
