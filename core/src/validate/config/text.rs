//! The plugin kinds and names the validator holds and hands out.

use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// A plugin kind or name: borrowed when `'static` (the descriptors' names),
/// shared otherwise, so that every [`PluginConfig`](super::PluginConfig) can
/// hold one without allocating.
#[derive(Clone)]
pub(super) enum Text {
    Static(&'static str),
    Shared(Arc<str>),
}

impl From<Cow<'static, str>> for Text {
    #[inline]
    fn from(text: Cow<'static, str>) -> Self {
        match text {
            Cow::Borrowed(s) => Text::Static(s),
            Cow::Owned(s) => Text::Shared(s.into()),
        }
    }
}

impl Deref for Text {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        match self {
            Text::Static(s) => s,
            Text::Shared(s) => s,
        }
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
