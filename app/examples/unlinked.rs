//! The pitfall `pegboard::link_plugins!()` exists for: this program depends
//! on the same plugin crates as the `pegboard` binary but never names them,
//! so the linker leaves them out and it sees no plugins at all. The linking
//! test runs it to prove the pitfall is real on this platform.

fn main() {
    println!("{}", pegboard::discover::compiled_in().count());
}
