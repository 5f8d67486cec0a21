#[pegboard::kind]
pub trait Greeter {
    fn greet(&self) -> String;
}

pub struct Hello;

#[derive(Default)]
#[pegboard::plugin(name = "english", version = "1.0.0", api = "0.1", kind = Hello)]
pub struct English;

impl Greeter for English {
    fn greet(&self) -> String {
        "hello".into()
    }
}

fn main() {}
