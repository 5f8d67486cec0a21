//! How a command fails: the exit code and the one message printed for it.

use pegboard_core::config::ConfigError;

/// Exit codes: 0 success, 1 invalid input (config, composition), 2 usage or I/O.
pub(super) const INVALID: u8 = 1;
pub(super) const USAGE: u8 = 2;

pub(super) struct Failed {
    pub(super) code: u8,
    pub(super) message: String,
}

impl Failed {
    pub(super) fn usage(message: String) -> Self {
        Failed {
            code: USAGE,
            message,
        }
    }
    pub(super) fn invalid(message: String) -> Self {
        Failed {
            code: INVALID,
            message,
        }
    }
}

impl From<ConfigError> for Failed {
    fn from(e: ConfigError) -> Self {
        Failed::invalid(e.to_string())
    }
}

/// Output that cannot be written (a closed pipe, a full disk) is an I/O
/// failure, not a problem of the input.
pub(super) fn written(r: std::io::Result<()>) -> Result<(), Failed> {
    r.map_err(|e| Failed::usage(format!("cannot write output: {e}")))
}
