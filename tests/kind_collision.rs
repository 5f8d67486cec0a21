//! Two different traits claiming one kind name are refused, naming a plugin
//! of each (the catalog checks this once per kind, not per plugin).

pub mod first {
    #[pegboard::kind(name = "sink")]
    pub trait Sink {}

    #[derive(Default)]
    #[pegboard::plugin(name = "a", version = "0.1.0", api = "0.1", kind = Sink)]
    pub struct A;
    impl Sink for A {}

    #[derive(Default)]
    #[pegboard::plugin(name = "c", version = "0.1.0", api = "0.1", kind = Sink)]
    pub struct C;
    impl Sink for C {}
}

pub mod second {
    #[pegboard::kind(name = "sink")]
    pub trait Sink {}

    #[derive(Default)]
    #[pegboard::plugin(name = "b", version = "0.1.0", api = "0.1", kind = Sink)]
    pub struct B;
    impl Sink for B {}
}

#[test]
fn two_traits_with_one_kind_name_are_refused() {
    let err = pegboard::Registry::builder()
        .build()
        .err()
        .expect("refused");
    let pegboard::CompositionError::Catalog(pegboard::CatalogError::KindCollision {
        kind,
        first,
        second,
    }) = &err
    else {
        panic!("expected a kind collision, got {err:?}");
    };
    assert_eq!(kind, "sink");
    // Sorted by name: `sink.a` (first trait) starts the run, `sink.b` is the
    // first of another trait.
    let file = file!();
    assert_eq!(first, &format!("sink.a at pegboard-tests {file}:9"));
    assert_eq!(second, &format!("sink.b at pegboard-tests {file}:24"));
    assert!(err.to_string().contains("two different traits"), "{err}");
}

#[test]
fn one_trait_per_kind_name_is_accepted() {
    let only_first = pegboard::discover::compiled_in().filter(|d| d.name() != "b");
    let catalog = pegboard::Catalog::new(only_first).expect("one trait");
    assert_eq!(catalog.ids().collect::<Vec<_>>(), ["sink.a", "sink.c"]);
    assert_eq!(catalog.id(1), "sink.c");
    assert_eq!(catalog.find("sink", "c"), Some(1));
    assert_eq!(catalog.find_id("sink.a"), Some(0));
    assert_eq!(catalog.find("sink", "b"), None);
}
