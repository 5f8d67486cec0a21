// The kind name is derived from the trait name; `Grüße` gives `grüße`.
#[pegboard::kind]
pub trait Grüße {
    fn greet(&self) -> String;
}

fn main() {}
