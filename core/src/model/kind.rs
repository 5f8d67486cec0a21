//! Plugin kinds: typed namespaces that plugins register into.

/// A plugin kind: implemented for `dyn Trait` by [`#[pegboard::kind]`](macro@crate::kind).
///
/// A kind is a trait object type, so the registry can hand out
/// `Arc<dyn Store>` without the caller downcasting anything:
///
/// ```
/// # extern crate pegboard_core as pegboard;
/// #[pegboard::kind]
/// pub trait Greeter {
///     fn greet(&self, who: &str) -> String;
/// }
///
/// use pegboard::Kind;
/// assert_eq!(<dyn Greeter as Kind>::NAME, "greeter");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a pegboard plugin kind",
    label = "not a kind",
    note = "declare the trait with `#[pegboard::kind]` to use it as a plugin kind"
)]
pub trait Kind: Send + Sync + 'static {
    /// The kind's name: the trait's name in snake_case unless given with
    /// `#[pegboard::kind(name = "...")]`. Plugin ids are `<kind>.<name>`.
    const NAME: &'static str;
}
