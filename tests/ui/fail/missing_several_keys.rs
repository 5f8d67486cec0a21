#[pegboard::kind]
pub trait Greeter {
    fn greet(&self) -> String;
}

#[derive(Default)]
#[pegboard::plugin(name = "english")]
pub struct English;

fn main() {}
