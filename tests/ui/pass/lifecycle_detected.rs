//! An `impl Lifecycle` is found without the `lifecycle` key, a plugin
//! without one needs none, and a dependency on another kind's plugin of the
//! same name is not mistaken for a self-dependency.

use pegboard::{BoxError, Lifecycle};

#[pegboard::kind]
pub trait Greeter {
    fn greet(&self) -> String;
}

#[pegboard::kind]
pub trait Store {
    fn get(&self) -> String;
}

#[derive(Default)]
#[pegboard::plugin(name = "english", version = "1.0.0", api = "0.1", kind = Greeter, depends_on = ["store.english"])]
pub struct English;

impl Greeter for English {
    fn greet(&self) -> String {
        "hello".into()
    }
}

impl Lifecycle for English {
    async fn start(&self) -> Result<(), BoxError> {
        Ok(())
    }
}

#[derive(Default)]
#[pegboard::plugin(name = "english", version = "1.0.0", api = "0.1", kind = Store)]
pub struct EnglishStore;

impl Store for EnglishStore {
    fn get(&self) -> String {
        "stored".into()
    }
}

fn main() {}
