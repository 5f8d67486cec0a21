#[pegboard::kind]
pub trait Greeter {
    fn greet(&self) -> String;
}

#[pegboard::plugin(name = "english", version = "1.0.0", api = "0.1", kind = Greeter, new = English::new)]
pub struct English;

impl English {
    fn new(_ctx: &pegboard::Context<'_>) -> Self {
        English
    }
}

impl Greeter for English {
    fn greet(&self) -> String {
        "hello".into()
    }
}

fn main() {}
