//! Two registrations of one `kind.name` are refused, naming both sources (D6).

#[pegboard::kind]
pub trait Store {}

#[derive(Default)]
#[pegboard::plugin(name = "memory", version = "0.1.0", api = "0.1", kind = Store)]
pub struct First;
impl Store for First {}

#[derive(Default)]
#[pegboard::plugin(name = "memory", version = "0.2.0", api = "0.1", kind = Store)]
pub struct Second;
impl Store for Second {}

#[derive(Default)]
#[pegboard::plugin(name = "file", version = "0.1.0", api = "0.1", kind = Store)]
pub struct Unique;
impl Store for Unique {}

#[test]
fn duplicates_are_refused_naming_both_sources() {
    let err = pegboard::Registry::builder()
        .build()
        .err()
        .expect("refused");
    let pegboard::CompositionError::Catalog(pegboard::CatalogError::Duplicates(dups)) = &err else {
        panic!("expected duplicates, got {err:?}");
    };
    assert_eq!(dups.len(), 1);
    assert_eq!(dups[0].id, "store.memory");
    let file = file!();
    assert_eq!(
        dups[0].sources,
        [
            format!("pegboard-tests {file}:7"),
            format!("pegboard-tests {file}:12")
        ]
    );
    assert_eq!(
        err.to_string(),
        format!(
            "plugin `store.memory` is registered more than once: pegboard-tests {file}:7 and pegboard-tests {file}:12"
        )
    );
    let report = pegboard::testing::check_composition(pegboard::Registry::builder()).unwrap_err();
    assert!(report.contains("registered more than once"), "{report}");
}

#[test]
#[should_panic(expected = "registered more than once")]
fn the_test_helper_panics_on_duplicates() {
    pegboard::testing::assert_composition_sound();
}
