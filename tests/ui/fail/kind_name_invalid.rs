#[pegboard::kind(name = "Bad Name")]
pub trait Greeter {
    fn greet(&self) -> String;
}

fn main() {}
