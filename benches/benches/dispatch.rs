//! SPEC P3: supervised calls through the registry, each beside the same call
//! made directly on the same `Arc<dyn Classifier>`.
//!
//! * `p3a_supervised_call/{pegboard,direct}`: one call of the real keywords
//!   classifier (`classifier.keywords`) on a ~1 KiB English document.
//! * `p3b_fan_out/{pegboard,direct}/{1,10,100}`: the same call fanned out to
//!   the first n of 100 keyword classifiers declared below (each wraps the
//!   real `Keywords`), against awaiting each call in turn in a plain loop.
//!
//! Both sides run inside the same async harness (criterion's `to_async` on a
//! current-thread tokio runtime with its timer enabled) and await the same
//! `async move { c.classify(DOC) }` block built from an `Arc` clone, so the
//! difference is pegboard's isolation: lookup, state check, timeout, panic
//! catching, counters, Prometheus metrics and `plugin.dispatch.*` events.
//!
//! Registries are built from this binary's own descriptors, filtered by id,
//! so plugins compiled in from elsewhere do not take part.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use classifier_keywords::{Keywords, KeywordsConfig};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ingest_kinds::{Classifier, ClassifyError};
use pegboard::{PluginDescriptor, Registry};

/// About 1 KiB of English prose with a few hits for every default rule
/// (finance, tech, weather) among many misses.
const DOC: &str = "The quarterly review opened with a short summary of the past three \
months. Our team moved the billing service to a new server in the spring, and the \
database migration finished two days ahead of the plan. Customers noticed faster \
pages, and support tickets about a late invoice dropped by almost half. The finance \
group still asks for a clearer view of each payment, since the bank statements arrive \
a week after the money has left the account. Next quarter we want to rewrite the \
export tool in Rust, split the reporting plugin from the main software package, and \
give every region its own dashboard. Travel will be limited: the forecast for the \
coastal office calls for heavy rain and a possible storm in early autumn, so the \
on-site workshop moves online. Several people asked whether the new price list will \
apply to existing contracts; it will not, until each contract comes up for renewal. \
Finally, thanks to everyone who stayed late during the cut-over weekend, and to the \
operations crew who kept the old system running while the new one warmed up.";

/// Declares one keyword classifier plugin per `Type "name"` pair: the real
/// `Keywords` classifier, registered under another name.
macro_rules! keyword_classifiers {
    ($($ty:ident $name:tt),* $(,)?) => {$(
        #[pegboard::plugin(
            name = $name,
            version = "0.1.0",
            api = "0.1",
            kind = Classifier,
            config = KeywordsConfig,
        )]
        pub struct $ty(Keywords);

        impl From<KeywordsConfig> for $ty {
            fn from(config: KeywordsConfig) -> Self {
                $ty(Keywords::from(config))
            }
        }

        impl Classifier for $ty {
            fn classify(&self, text: &str) -> Result<Vec<String>, ClassifyError> {
                self.0.classify(text)
            }
        }
    )*};
}

keyword_classifiers! {
    K001 "k001", K002 "k002", K003 "k003", K004 "k004", K005 "k005",
    K006 "k006", K007 "k007", K008 "k008", K009 "k009", K010 "k010",
    K011 "k011", K012 "k012", K013 "k013", K014 "k014", K015 "k015",
    K016 "k016", K017 "k017", K018 "k018", K019 "k019", K020 "k020",
    K021 "k021", K022 "k022", K023 "k023", K024 "k024", K025 "k025",
    K026 "k026", K027 "k027", K028 "k028", K029 "k029", K030 "k030",
    K031 "k031", K032 "k032", K033 "k033", K034 "k034", K035 "k035",
    K036 "k036", K037 "k037", K038 "k038", K039 "k039", K040 "k040",
    K041 "k041", K042 "k042", K043 "k043", K044 "k044", K045 "k045",
    K046 "k046", K047 "k047", K048 "k048", K049 "k049", K050 "k050",
    K051 "k051", K052 "k052", K053 "k053", K054 "k054", K055 "k055",
    K056 "k056", K057 "k057", K058 "k058", K059 "k059", K060 "k060",
    K061 "k061", K062 "k062", K063 "k063", K064 "k064", K065 "k065",
    K066 "k066", K067 "k067", K068 "k068", K069 "k069", K070 "k070",
    K071 "k071", K072 "k072", K073 "k073", K074 "k074", K075 "k075",
    K076 "k076", K077 "k077", K078 "k078", K079 "k079", K080 "k080",
    K081 "k081", K082 "k082", K083 "k083", K084 "k084", K085 "k085",
    K086 "k086", K087 "k087", K088 "k088", K089 "k089", K090 "k090",
    K091 "k091", K092 "k092", K093 "k093", K094 "k094", K095 "k095",
    K096 "k096", K097 "k097", K098 "k098", K099 "k099", K100 "k100",
}

/// The compiled-in descriptors of kind `classifier` whose name passes `keep`.
fn classifiers(keep: impl Fn(&str) -> bool) -> Vec<&'static PluginDescriptor> {
    pegboard::discover::compiled_in()
        .filter(|d| d.kind() == "classifier" && keep(d.name()))
        .collect()
}

/// A registry of exactly these descriptors, every plugin already built.
fn registry(descriptors: Vec<&'static PluginDescriptor>) -> Registry {
    let expected = descriptors.len();
    let registry = Registry::builder()
        .descriptors(descriptors)
        .build()
        .expect("the benchmark registry builds");
    assert_eq!(
        registry.instantiate_all(),
        expected,
        "every plugin builds: {:?}",
        registry.failures()
    );
    registry
}

/// The call both sides make: what `Dispatch::call` and `fan_out` are given,
/// the same as `|c| async move { c.classify(DOC) }`.
async fn classify(c: Arc<dyn Classifier>) -> Result<Vec<String>, ClassifyError> {
    c.classify(DOC)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

fn p3a_supervised_call(c: &mut Criterion) {
    assert!(
        (900..=1200).contains(&DOC.len()),
        "DOC is {} bytes",
        DOC.len()
    );
    let registry = registry(classifiers(|name| name == "keywords"));
    let plugin = registry
        .get::<dyn Classifier>("keywords")
        .expect("classifier.keywords is compiled in");
    let rt = runtime();

    // Both sides give the same, non-trivial answer.
    let direct = rt.block_on(classify(plugin.clone())).expect("classifies");
    assert_eq!(direct, ["finance", "tech", "weather"]);
    let outcome = rt.block_on(
        registry
            .dispatch::<dyn Classifier>()
            .call("keywords", classify),
    );
    assert!(outcome.is_ok(), "{:?}", outcome.error);
    assert_eq!(outcome.value.as_ref(), Some(&direct));

    let mut group = c.benchmark_group("p3a_supervised_call");
    group
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    group.bench_function("pegboard", |b| {
        b.to_async(&rt).iter(|| async {
            registry
                .dispatch::<dyn Classifier>()
                .call(black_box("keywords"), classify)
                .await
        })
    });
    group.bench_function("direct", |b| {
        b.to_async(&rt)
            .iter(|| async { classify(black_box(&plugin).clone()).await })
    });
    group.finish();
}

fn p3b_fan_out(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("p3b_fan_out");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for n in [1usize, 10, 100] {
        let names: Vec<String> = (1..=n).map(|i| format!("k{i:03}")).collect();
        let registry = registry(classifiers(|name| names.iter().any(|n| n == name)));
        let plugins: Vec<Arc<dyn Classifier>> = registry
            .list::<dyn Classifier>()
            .into_iter()
            .map(|(_, plugin)| plugin)
            .collect();
        assert_eq!(plugins.len(), n);
        let all = rt.block_on(registry.dispatch::<dyn Classifier>().fan_out(classify));
        assert_eq!(all.successes().count(), n);

        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("pegboard", n), &registry, |b, registry| {
            b.to_async(&rt).iter(|| async {
                registry
                    .dispatch::<dyn Classifier>()
                    .fan_out(classify)
                    .await
            })
        });
        group.bench_with_input(BenchmarkId::new("direct", n), &plugins, |b, plugins| {
            b.to_async(&rt).iter(|| async {
                let mut results = Vec::with_capacity(plugins.len());
                for plugin in plugins {
                    results.push(classify(plugin.clone()).await);
                }
                results
            })
        });
    }
    group.finish();
}

criterion_group!(benches, p3a_supervised_call, p3b_fan_out);
criterion_main!(benches);
