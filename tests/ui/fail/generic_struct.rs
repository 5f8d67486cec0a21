#[pegboard::kind]
pub trait Greeter {
    fn greet(&self) -> String;
}

#[derive(Default)]
#[pegboard::plugin(name = "english", version = "1.0.0", api = "0.1", kind = Greeter)]
pub struct English<T> {
    greeting: T,
}

impl<T: ToString + Send + Sync> Greeter for English<T> {
    fn greet(&self) -> String {
        self.greeting.to_string()
    }
}

fn main() {}
