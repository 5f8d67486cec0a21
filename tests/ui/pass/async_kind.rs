//! A kind mixing `async fn` and sync methods, with every accepted argument
//! form, implemented by plugins with plain `async fn` (and one with `fn ->
//! impl Future`), and called through `Arc<dyn Kind>` and on the plugin type.

use std::borrow::Cow;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

pub struct Recipient {
    pub name: String,
}

#[pegboard::kind]
pub trait Notifier {
    /// Sends `message`.
    async fn notify(&self, message: &str) -> String;

    async fn greet(&self, to: &Recipient, tone: Cow<'_, str>, cc: &[&str]) -> String;

    /// Named lifetimes, and a result borrowed from an argument.
    async fn pick<'a, 'b: 'a>(&'a self, first: &'a str, _second: &'b str) -> &'a str;

    /// A result borrowed from `self` through an elided lifetime.
    async fn label(&self) -> &str;

    async fn render(&self, f: &(dyn Fn(&str) -> String + Sync)) -> String;

    async fn nothing(&self);

    /// A default body; argument patterns are allowed with one.
    async fn sum(&self, (a, b): (u32, u32), mut extra: u32) -> u32 {
        extra += self.base();
        a + b + extra
    }

    /// Kept off `dyn Notifier` by the user, so it may be generic.
    async fn generic<T: Send + Sync>(&self, value: &T) -> usize
    where
        Self: Sized,
    {
        std::mem::size_of_val(value)
    }

    fn base(&self) -> u32;
}

/// Private kinds work too, and unused forwarders raise no warnings.
#[pegboard::kind]
trait Quiet {
    async fn hush(&self) -> u8;
}

#[derive(Default)]
#[pegboard::plugin(name = "email", version = "0.1.0", api = "0.1", kind = Notifier)]
pub struct Email {
    label: String,
}

impl Notifier for Email {
    async fn notify(&self, message: &str) -> String {
        std::future::ready(()).await;
        format!("mailed {message}")
    }
    async fn greet(&self, to: &Recipient, tone: Cow<'_, str>, cc: &[&str]) -> String {
        format!("{tone} {} (cc {})", to.name, cc.join(","))
    }
    async fn pick<'a, 'b: 'a>(&'a self, first: &'a str, _second: &'b str) -> &'a str {
        first
    }
    async fn label(&self) -> &str {
        &self.label
    }
    async fn render(&self, f: &(dyn Fn(&str) -> String + Sync)) -> String {
        f("email")
    }
    async fn nothing(&self) {}
    fn base(&self) -> u32 {
        10
    }
}

/// Implemented without `async fn`: any `Send` future will do.
#[derive(Default)]
#[pegboard::plugin(name = "sms", version = "0.1.0", api = "0.1", kind = Notifier)]
pub struct Sms;

impl Notifier for Sms {
    fn notify(&self, message: &str) -> impl Future<Output = String> + Send {
        let message = message.to_owned();
        async move { format!("texted {message}") }
    }
    async fn greet(&self, _: &Recipient, _: Cow<'_, str>, _: &[&str]) -> String {
        String::new()
    }
    async fn pick<'a, 'b: 'a>(&'a self, _first: &'a str, second: &'b str) -> &'a str {
        second
    }
    async fn label(&self) -> &str {
        "sms"
    }
    async fn render(&self, f: &(dyn Fn(&str) -> String + Sync)) -> String {
        f("sms")
    }
    async fn nothing(&self) {}
    fn sum(&self, (a, b): (u32, u32), extra: u32) -> impl Future<Output = u32> + Send {
        std::future::ready(a * b * extra)
    }
    fn base(&self) -> u32 {
        0
    }
}

/// The futures here never wait on anything, so polling once finishes them.
fn now<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(value) => value,
        Poll::Pending => panic!("the future should be ready"),
    }
}

fn assert_send<T: Send>(t: T) -> T {
    t
}

fn main() {
    let registry = pegboard::Registry::builder().build().unwrap();
    let email: Arc<dyn Notifier> = registry.get::<dyn Notifier>("email").unwrap();
    assert_eq!(now(assert_send(email.notify("hi"))), "mailed hi");
    let to = Recipient { name: "ann".into() };
    let tone = String::from("hello");
    assert_eq!(
        now(email.greet(&to, Cow::Borrowed(&tone), &["bob", "cy"])),
        "hello ann (cc bob,cy)"
    );
    let second = String::from("second");
    assert_eq!(now(email.pick("first", &second)), "first");
    assert_eq!(now(email.label()), "");
    assert_eq!(now(email.render(&|s: &str| s.to_uppercase())), "EMAIL");
    now(email.nothing());
    assert_eq!(now(email.sum((1, 2), 3)), 16, "the default body");
    assert_eq!(email.base(), 10);

    let sms = registry.get::<dyn Notifier>("sms").unwrap();
    assert_eq!(now(sms.notify("hi")), "texted hi");
    assert_eq!(now(sms.sum((2, 3), 4)), 24, "the plugin's own body");
    assert_eq!(now(sms.pick("first", &second)), "second");
    assert_eq!(now(sms.label()), "sms");

    // Through `&Arc<dyn Notifier>`, as when iterating.
    let all = registry.list::<dyn Notifier>();
    let labels: Vec<String> = all.iter().map(|(_, n)| now(n.notify("x"))).collect();
    assert_eq!(labels, ["mailed x", "texted x"]);

    // On the plugin type itself, the trait's methods.
    let plain = Email { label: "mine".into() };
    assert_eq!(now(plain.label()), "mine");
    assert_eq!(now(plain.sum((0, 0), 1)), 11);
    assert_eq!(now(plain.generic(&7u64)), 8);

    assert_eq!(<dyn Notifier as pegboard::Kind>::NAME, "notifier");
}
