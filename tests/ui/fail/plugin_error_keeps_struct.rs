// On an error in the attribute the struct is kept: `Arc`, which only its
// field uses, is not reported unused, and the code using the struct
// compiles; the error is the only message.
use std::sync::Arc;

#[pegboard::kind]
pub trait Greeter {
    fn greet(&self) -> String;
}

#[derive(Default)]
#[pegboard::plugin(name = "english", version = "1.0.0", api = "0.1", kind = Greeter, colour = "red")]
pub struct English {
    greeting: Arc<String>,
}

impl Greeter for English {
    fn greet(&self) -> String {
        self.greeting.to_string()
    }
}

fn main() {
    println!("{}", English::default().greet());
}
