#[pegboard::kind]
pub trait Greeter {
    fn greet(&self) -> String;
}

// Without `config`, `new` is called as `new(ctx)`.
#[pegboard::plugin(name = "english", version = "1.0.0", api = "0.1", kind = Greeter, new = English::new)]
pub struct English;

impl English {
    fn new() -> Result<Self, std::convert::Infallible> {
        Ok(English)
    }
}

impl Greeter for English {
    fn greet(&self) -> String {
        "hello".into()
    }
}

fn main() {}
