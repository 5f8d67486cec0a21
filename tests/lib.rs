//! Shared helpers of pegboard's integration tests.

pub mod capture {
    //! A `tracing` layer that records every event's name and fields, so
    //! tests can assert on the structured logs a real subscriber receives.

    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex};

    use tracing::field::{Field, Visit};
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::Context;

    /// One recorded event.
    #[derive(Debug, Clone)]
    pub struct Captured {
        /// The event's name.
        pub name: String,
        /// Its `tracing` target (what log filters match).
        pub target: String,
        /// Its fields, each formatted as a string.
        pub fields: BTreeMap<String, String>,
    }

    /// The layer; clones share one list of events.
    #[derive(Clone, Default)]
    pub struct Capture(pub Arc<Mutex<Vec<Captured>>>);

    impl Capture {
        /// The fields of every event named `name`, in order.
        pub fn named(&self, name: &str) -> Vec<BTreeMap<String, String>> {
            self.0
                .lock()
                .unwrap()
                .iter()
                .filter(|e| e.name == name)
                .map(|e| e.fields.clone())
                .collect()
        }
    }

    struct Fields<'a>(&'a mut BTreeMap<String, String>);

    impl Visit for Fields<'_> {
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            self.0.insert(field.name().to_owned(), format!("{value:?}"));
        }
        fn record_str(&mut self, field: &Field, value: &str) {
            self.0.insert(field.name().to_owned(), value.to_owned());
        }
    }

    /// A capture installed as the global default subscriber, once per test
    /// binary: it sees the events of every thread (a supervisor's tasks and
    /// a spawned process's output are logged from the runtime's worker
    /// threads, which a thread-local subscriber would miss). Tests that
    /// share it tell their events apart by plugin id.
    pub fn global() -> &'static Capture {
        use tracing_subscriber::layer::SubscriberExt;
        static GLOBAL: std::sync::OnceLock<Capture> = std::sync::OnceLock::new();
        GLOBAL.get_or_init(|| {
            let capture = Capture::default();
            tracing::subscriber::set_global_default(
                tracing_subscriber::registry().with(capture.clone()),
            )
            .expect("no other global subscriber in this test binary");
            capture
        })
    }

    impl<S: tracing::Subscriber> Layer<S> for Capture {
        fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
            let mut fields = BTreeMap::new();
            event.record(&mut Fields(&mut fields));
            self.0.lock().unwrap().push(Captured {
                name: event.metadata().name().to_owned(),
                target: event.metadata().target().to_owned(),
                fields,
            });
        }
    }
}
