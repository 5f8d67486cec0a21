#[pegboard::kind]
pub trait Greeter {
    fn greet(&self) -> String;
}

macro_rules! greeter {
    ($ty:ident, $name:literal, $dep:expr) => {
        #[derive(Default)]
        #[pegboard::plugin(name = $name, version = "1.0.0", api = "0.1", kind = Greeter, depends_on = [$dep])]
        pub struct $ty;

        impl Greeter for $ty {
            fn greet(&self) -> String {
                "hello".into()
            }
        }
    };
}

greeter!(English, "english", "french");
// The error points at the literal given to the macro.
greeter!(Broken, "Broken", "french");

fn main() {}
