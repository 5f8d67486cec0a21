#[pegboard::kind]
pub trait Greeter {
    fn greet(&self) -> String;
}

#[derive(Default)]
#[pegboard::plugin(name = "english", version = "1.0.0", api = "0.1", kind = Greeter, depends_on = ["store.english", "greeter.english@^1"])]
pub struct English;

impl Greeter for English {
    fn greet(&self) -> String {
        "hello".into()
    }
}

fn main() {}
