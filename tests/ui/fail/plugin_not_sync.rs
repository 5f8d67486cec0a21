use std::cell::Cell;

#[pegboard::kind]
pub trait Greeter {
    fn greet(&self) -> String;
}

// Plugins are shared across threads: `Cell` is not `Sync`.
#[derive(Default)]
#[pegboard::plugin(name = "english", version = "1.0.0", api = "0.1", kind = Greeter)]
pub struct English {
    greeted: Cell<u32>,
}

impl Greeter for English {
    fn greet(&self) -> String {
        self.greeted.set(self.greeted.get() + 1);
        "hello".into()
    }
}

fn main() {}
