#[pegboard::kind]
pub trait Greeter {
    fn greet(&self) -> String;
}

#[pegboard::plugin(name = "english", version = "1.0.0", api = "0.1", kind = Greeter)]
pub fn english() -> String {
    "hello".into()
}

fn main() {}
