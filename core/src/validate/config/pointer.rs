//! JSON pointers, the paths errors give.

/// Escapes one JSON pointer segment (`~` → `~0`, `/` → `~1`).
pub(crate) fn escape_pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// A JSON pointer made of the given (unescaped) segments.
pub(crate) fn pointer<'a>(segments: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for s in segments {
        out.push('/');
        out.push_str(&escape_pointer(s));
    }
    out
}
