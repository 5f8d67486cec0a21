//! Stage 2, validate: the descriptors' names, versions and API against this
//! build ([`compat`]), and the configuration document against each plugin's
//! schema ([`config`](crate::config)), giving the [`Settings`](settings::Settings).

pub mod compat;
pub mod settings;
