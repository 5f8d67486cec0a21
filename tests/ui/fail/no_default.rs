#[pegboard::kind]
pub trait Greeter {
    fn greet(&self) -> String;
}

// No `config`, no `new`, and no `Default`.
#[pegboard::plugin(name = "english", version = "1.0.0", api = "0.1", kind = Greeter)]
pub struct English {
    greeting: String,
}

impl Greeter for English {
    fn greet(&self) -> String {
        self.greeting.clone()
    }
}

fn main() {}
