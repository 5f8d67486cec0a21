#[pegboard::kind]
pub struct Greeter;

fn main() {}
