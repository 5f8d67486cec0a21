//! Why the registry refused a configuration or a call.

use pegboard_api::{ApiParseError, Incompatible};

/// Why a [`RemoteRegistry`](super::RemoteRegistry) could not be built, or
/// refused a remote plugin's call. Each refusal maps to one gRPC status code
/// ([`code`](Self::code)); its message is the status message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RemoteError {
    /// The registry was configured with an empty token, which would let
    /// anyone announce plugins.
    #[error("the remote registry's token is empty: set a secret token")]
    EmptyToken,
    /// The call carried no `authorization: Bearer <token>` metadata (or a
    /// malformed one).
    #[error("missing `authorization: Bearer <token>` metadata")]
    MissingToken,
    /// The call carried a token, but not the registry's.
    #[error("wrong token")]
    WrongToken,
    /// The announcement listed no plugins.
    #[error("an announcement must list at least one plugin")]
    NoPlugins,
    /// The announcement's node label is empty or has control characters.
    #[error("invalid node `{node}`: expected a non-empty label without control characters")]
    InvalidNode {
        /// The node label as sent (control characters escaped by `Debug`).
        node: String,
    },
    /// The announcement's address is not an absolute URI such as
    /// `http://10.0.0.7:50051`.
    #[error("invalid address `{address}`: {reason}")]
    InvalidAddress {
        /// The address as sent.
        address: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A kind or plugin name does not match `[a-z0-9][a-z0-9_-]*`.
    #[error("plugin `{plugin_id}`: invalid {what} name `{name}`: expected [a-z0-9][a-z0-9_-]*")]
    InvalidName {
        /// `<kind>.<name>` as sent.
        plugin_id: String,
        /// `kind` or `plugin`.
        what: &'static str,
        /// The offending name.
        name: String,
    },
    /// A plugin's own version is not semver.
    #[error("plugin `{plugin_id}`: version `{version}` is not valid semver: {reason}")]
    InvalidVersion {
        /// The plugin's id.
        plugin_id: String,
        /// The version as sent.
        version: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A plugin's API version cannot be parsed.
    #[error("plugin `{plugin_id}`: {source}")]
    InvalidApi {
        /// The plugin's id.
        plugin_id: String,
        /// The parse error.
        source: ApiParseError,
    },
    /// A plugin needs an API version this host does not provide (SPEC V3);
    /// the message names both versions.
    #[error("plugin `{plugin_id}` {source}")]
    Incompatible {
        /// The plugin's id.
        plugin_id: String,
        /// Both versions and the reason.
        source: Incompatible,
    },
    /// The same plugin id appears twice in one announcement.
    #[error("plugin `{plugin_id}` is listed twice in one announcement")]
    Repeated {
        /// The plugin's id.
        plugin_id: String,
    },
    /// A plugin with this id is compiled into the host.
    #[error("plugin `{plugin_id}` is compiled into this host; a remote plugin cannot replace it")]
    CompiledIn {
        /// The plugin's id.
        plugin_id: String,
    },
    /// Another live session already announced this plugin id.
    #[error(
        "plugin `{plugin_id}` is already announced by node `{node}` at {address}, which is still alive"
    )]
    AlreadyAnnounced {
        /// The plugin's id.
        plugin_id: String,
        /// The node holding it.
        node: String,
        /// Where that node serves it.
        address: String,
    },
    /// A heartbeat or withdrawal named a session the host does not know (it
    /// was withdrawn, replaced, or the host restarted).
    #[error("unknown session `{session}`: announce again")]
    UnknownSession {
        /// The session as sent.
        session: String,
    },
    /// A declared member announced a version its declaration does not allow
    /// (for a local process: not the version of the directory it was
    /// started from).
    #[error(
        "plugin `{plugin_id}` announced version {version}, but this host expects {requirement}"
    )]
    UnexpectedVersion {
        /// The plugin's id.
        plugin_id: String,
        /// The version announced.
        version: String,
        /// The requirement it was declared with.
        requirement: String,
    },
    /// A token given to one local plugin process was used to announce
    /// another plugin.
    #[error("the token of plugin process `{owner}` cannot announce `{plugin_id}`")]
    TokenNotFor {
        /// The plugin announced.
        plugin_id: String,
        /// The plugin whose process the token was given to.
        owner: String,
    },
    /// The [`RemoteMembers`](super::RemoteMembers) already serve another
    /// remote registry.
    #[error("these remote members already belong to another remote registry")]
    MembersTaken,
    /// A heartbeat came after its session became unavailable.
    #[error("session `{session}` missed too many heartbeats and is unavailable: announce again")]
    Expired {
        /// The session.
        session: String,
    },
}

impl RemoteError {
    /// The gRPC status code this refusal is answered with.
    pub fn code(&self) -> tonic::Code {
        use tonic::Code;
        match self {
            RemoteError::EmptyToken | RemoteError::MembersTaken => Code::Internal,
            RemoteError::MissingToken | RemoteError::WrongToken => Code::Unauthenticated,
            RemoteError::TokenNotFor { .. } => Code::PermissionDenied,
            RemoteError::UnexpectedVersion { .. } => Code::FailedPrecondition,
            RemoteError::NoPlugins
            | RemoteError::InvalidNode { .. }
            | RemoteError::InvalidAddress { .. }
            | RemoteError::InvalidName { .. }
            | RemoteError::InvalidVersion { .. }
            | RemoteError::InvalidApi { .. }
            | RemoteError::Repeated { .. } => Code::InvalidArgument,
            RemoteError::Incompatible { .. } => Code::FailedPrecondition,
            RemoteError::CompiledIn { .. } | RemoteError::AlreadyAnnounced { .. } => {
                Code::AlreadyExists
            }
            RemoteError::UnknownSession { .. } | RemoteError::Expired { .. } => Code::NotFound,
        }
    }

    /// A short stable name for logs and metrics (`wrong_token`,
    /// `incompatible_api`, ...).
    pub fn reason(&self) -> &'static str {
        match self {
            RemoteError::EmptyToken => "empty_token",
            RemoteError::MembersTaken => "members_taken",
            RemoteError::TokenNotFor { .. } => "token_not_for_plugin",
            RemoteError::UnexpectedVersion { .. } => "unexpected_version",
            RemoteError::MissingToken => "missing_token",
            RemoteError::WrongToken => "wrong_token",
            RemoteError::NoPlugins => "no_plugins",
            RemoteError::InvalidNode { .. } => "invalid_node",
            RemoteError::InvalidAddress { .. } => "invalid_address",
            RemoteError::InvalidName { .. } => "invalid_name",
            RemoteError::InvalidVersion { .. } => "invalid_version",
            RemoteError::InvalidApi { .. } => "invalid_api",
            RemoteError::Incompatible { .. } => "incompatible_api",
            RemoteError::Repeated { .. } => "repeated",
            RemoteError::CompiledIn { .. } => "duplicate_compiled_in",
            RemoteError::AlreadyAnnounced { .. } => "duplicate_remote",
            RemoteError::UnknownSession { .. } => "unknown_session",
            RemoteError::Expired { .. } => "expired_session",
        }
    }

    /// The plugin the refusal is about, when it is about one.
    pub fn plugin_id(&self) -> Option<&str> {
        match self {
            RemoteError::InvalidName { plugin_id, .. }
            | RemoteError::InvalidVersion { plugin_id, .. }
            | RemoteError::InvalidApi { plugin_id, .. }
            | RemoteError::Incompatible { plugin_id, .. }
            | RemoteError::UnexpectedVersion { plugin_id, .. }
            | RemoteError::TokenNotFor { plugin_id, .. }
            | RemoteError::Repeated { plugin_id }
            | RemoteError::CompiledIn { plugin_id }
            | RemoteError::AlreadyAnnounced { plugin_id, .. } => Some(plugin_id),
            _ => None,
        }
    }
}

impl From<RemoteError> for tonic::Status {
    fn from(err: RemoteError) -> Self {
        tonic::Status::new(err.code(), err.to_string())
    }
}
