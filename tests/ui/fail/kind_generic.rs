#[pegboard::kind]
pub trait Greeter<T> {
    fn greet(&self, who: T) -> String;
}

fn main() {}
