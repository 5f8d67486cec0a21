#[pegboard::kind(nme = "greeter")]
pub trait Greeter {
    fn greet(&self) -> String;
}

fn main() {}
