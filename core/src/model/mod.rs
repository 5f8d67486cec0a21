//! The bottom layer: the plain types every stage shares (descriptors, kinds,
//! instances, states, errors, counters, events). Nothing here imports a
//! stage; every stage may import from here.

pub mod call_result;
pub mod config_error;
pub mod counters;
pub mod descriptor;
pub mod error;
pub mod instance;
pub mod kind;
pub mod lifecycle;
pub mod linked;
pub mod location;
pub mod names;
pub mod recorded;
pub mod state;
pub mod status;
pub mod suggest;
pub mod telemetry;
