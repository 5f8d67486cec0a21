#[pegboard::kind]
pub trait Greeter {
    fn greet(&self, who: &str) -> String;
}

mod build {
    use super::Named;

    /// Without `config`, the constructor takes only the context; any error
    /// type that converts into `BoxError` will do.
    pub fn named(ctx: &pegboard::Context<'_>) -> Result<Named, std::io::Error> {
        Ok(Named {
            id: ctx.id().to_owned(),
            version: ctx.descriptor().version(),
        })
    }
}

// `Named` has no `Default`: `new` is what builds it.
#[pegboard::plugin(name = "named", version = "2.0.0", api = "0.1", kind = Greeter, new = build::named)]
pub struct Named {
    id: String,
    version: &'static str,
}

impl Greeter for Named {
    fn greet(&self, who: &str) -> String {
        format!("Hello {who}, from {} {}", self.id, self.version)
    }
}

fn main() {
    let registry = pegboard::Registry::builder().build().unwrap();
    let named = registry.get::<dyn Greeter>("named").unwrap();
    assert_eq!(named.greet("Ann"), "Hello Ann, from greeter.named 2.0.0");
    assert!(!registry.plugin("greeter.named").unwrap().has_config);
}
