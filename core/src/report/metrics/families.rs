//! What one rendering encodes: a snapshot of the numbers, copied out of the
//! registry, and the metric families `prometheus-client` encodes from it
//! (which must be `'static`), with their labels.

use std::fmt;
use std::sync::Arc;

use prometheus_client::encoding::{
    EncodeLabelSet, EncodeLabelValue, EncodeMetric, LabelValueEncoder, MetricEncoder, NoLabelSet,
};
use prometheus_client::metrics::MetricType;

use crate::model::call_result::CallResult;
use crate::model::descriptor::PluginDescriptor;
use crate::model::recorded::{
    BUCKETS, DURATION_BUCKETS, EMPTY_HISTOGRAM, HistogramSnapshot, RESULTS,
};
use crate::model::state::PluginState;

/// Every [`PluginState`], in the order their `state` series are exposed.
pub(super) const STATES: [PluginState; 10] = PluginState::ALL;

/// What one rendering shows, copied out of the registry.
#[derive(Debug)]
pub(super) struct Snapshot {
    /// In registry index order.
    pub(super) plugins: Vec<PluginSnapshot>,
    /// [`RESULTS`] consecutive histograms for each plugin that has any.
    pub(super) histograms: Vec<HistogramSnapshot>,
    /// (capability, count), sorted by capability.
    pub(super) dispatch_failures: Vec<(&'static str, u64)>,
}

#[derive(Debug)]
pub(super) struct PluginSnapshot {
    pub(super) descriptor: &'static PluginDescriptor,
    /// By [`CallResult::index`].
    pub(super) invocations: [u64; RESULTS],
    /// Where this plugin's histograms start in [`Snapshot::histograms`];
    /// `None` until its first invocation (every histogram still empty).
    pub(super) durations: Option<usize>,
    pub(super) state: PluginState,
    pub(super) restarts: u32,
}

/// The families, in the order they are exposed.
#[derive(Debug, Clone, Copy)]
pub(super) enum Series {
    Invocations,
    Durations,
    Timeouts,
    DispatchFailures,
    States,
    Restarts,
}

/// One family of a [`Snapshot`], registered for one rendering.
#[derive(Debug)]
pub(super) struct Family {
    pub(super) snapshot: Arc<Snapshot>,
    pub(super) series: Series,
}

impl EncodeMetric for Family {
    fn encode(&self, mut encoder: MetricEncoder) -> fmt::Result {
        let s = &*self.snapshot;
        match self.series {
            Series::Invocations => {
                for p in &s.plugins {
                    for result in CallResult::ALL {
                        let labels = InvocationLabels::new(p.descriptor, result);
                        counter(&mut encoder, &labels, p.invocations[result.index()])?;
                    }
                }
            }
            Series::Durations => {
                for p in &s.plugins {
                    for result in CallResult::ALL {
                        let h = match p.durations {
                            Some(first) => &s.histograms[first + result.index()],
                            None => &EMPTY_HISTOGRAM,
                        };
                        let labels = InvocationLabels::new(p.descriptor, result);
                        histogram(&mut encoder, &labels, h)?;
                    }
                }
            }
            Series::Timeouts => {
                for p in &s.plugins {
                    let labels = PluginCapabilityLabels {
                        plugin_id: PluginId(p.descriptor),
                        capability: p.descriptor.kind(),
                    };
                    let timeouts = p.invocations[CallResult::Timeout.index()];
                    counter(&mut encoder, &labels, timeouts)?;
                }
            }
            Series::DispatchFailures => {
                for &(capability, failures) in &s.dispatch_failures {
                    counter(&mut encoder, &CapabilityLabels { capability }, failures)?;
                }
            }
            Series::States => {
                for p in &s.plugins {
                    for state in STATES {
                        let labels = StateLabels {
                            plugin_id: PluginId(p.descriptor),
                            state: state.as_str(),
                        };
                        let value = i64::from(state == p.state);
                        encoder.encode_family(&labels)?.encode_gauge(&value)?;
                    }
                }
            }
            Series::Restarts => {
                for p in &s.plugins {
                    let labels = PluginLabels {
                        plugin_id: PluginId(p.descriptor),
                    };
                    counter(&mut encoder, &labels, u64::from(p.restarts))?;
                }
            }
        }
        Ok(())
    }

    fn metric_type(&self) -> MetricType {
        match self.series {
            Series::Durations => MetricType::Histogram,
            Series::States => MetricType::Gauge,
            Series::Invocations
            | Series::Timeouts
            | Series::DispatchFailures
            | Series::Restarts => MetricType::Counter,
        }
    }

    fn is_empty(&self) -> bool {
        match self.series {
            Series::DispatchFailures => self.snapshot.dispatch_failures.is_empty(),
            _ => self.snapshot.plugins.is_empty(),
        }
    }
}

fn counter(encoder: &mut MetricEncoder, labels: &impl EncodeLabelSet, value: u64) -> fmt::Result {
    encoder
        .encode_family(labels)?
        .encode_counter::<NoLabelSet, _, u64>(&value, None)
}

fn histogram(
    encoder: &mut MetricEncoder,
    labels: &impl EncodeLabelSet,
    h: &HistogramSnapshot,
) -> fmt::Result {
    // (upper bound, count in this bucket alone): the encoder cumulates.
    let buckets: [(f64, u64); BUCKETS] = std::array::from_fn(|i| {
        let bound = DURATION_BUCKETS.get(i).copied().unwrap_or(f64::INFINITY);
        (bound, h.buckets[i])
    });
    let count = h.buckets.iter().sum();
    let sum = h.sum_nanos as f64 / 1e9;
    encoder
        .encode_family(labels)?
        .encode_histogram::<NoLabelSet>(sum, count, &buckets, None)
}

/// A plugin's id (`kind.name`) as a label value, written from its
/// descriptor's `&'static` parts.
#[derive(Debug, Clone, Copy)]
struct PluginId(&'static PluginDescriptor);

impl EncodeLabelValue for PluginId {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> fmt::Result {
        use fmt::Write as _;
        encoder.write_str(self.0.kind())?;
        encoder.write_char('.')?;
        encoder.write_str(self.0.name())
    }
}

#[derive(Debug, EncodeLabelSet)]
struct InvocationLabels {
    plugin_id: PluginId,
    capability: &'static str,
    result: &'static str,
}

impl InvocationLabels {
    fn new(descriptor: &'static PluginDescriptor, result: CallResult) -> Self {
        InvocationLabels {
            plugin_id: PluginId(descriptor),
            capability: descriptor.kind(),
            result: result.as_str(),
        }
    }
}

#[derive(Debug, EncodeLabelSet)]
struct PluginCapabilityLabels {
    plugin_id: PluginId,
    capability: &'static str,
}

#[derive(Debug, EncodeLabelSet)]
struct CapabilityLabels {
    capability: &'static str,
}

#[derive(Debug, EncodeLabelSet)]
struct StateLabels {
    plugin_id: PluginId,
    state: &'static str,
}

#[derive(Debug, EncodeLabelSet)]
struct PluginLabels {
    plugin_id: PluginId,
}
