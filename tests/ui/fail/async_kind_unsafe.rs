#[pegboard::kind]
pub trait Notifier {
    async unsafe fn notify(&self, message: *const u8) -> String;
    async extern "C" fn raw(&self) -> String;
}

fn main() {}
