//! Plugin and kind names: what a valid one is, and the hash the catalog's
//! index keys them by. Both are `const fn`, so descriptors carry them
//! computed at compile time.

/// Whether `name` is a valid kind or plugin name: `[a-z0-9][a-z0-9_-]*`.
///
/// ```
/// # extern crate pegboard_core as pegboard;
/// assert!(pegboard::is_valid_name("keywords-v2"));
/// assert!(!pegboard::is_valid_name("Keywords"));
/// assert!(!pegboard::is_valid_name("-keywords"));
/// assert!(!pegboard::is_valid_name(""));
/// // A `const fn`: descriptors check their names when they are built,
/// // which for the statics `#[pegboard::plugin]` makes is at compile time.
/// const VALID: bool = pegboard::is_valid_name("store");
/// assert!(VALID);
/// ```
pub const fn is_valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    if bytes.is_empty() || !matches!(bytes[0], b'a'..=b'z' | b'0'..=b'9') {
        return false;
    }
    let mut i = 1;
    while i < bytes.len() {
        if !matches!(bytes[i], b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-') {
            return false;
        }
        i += 1;
    }
    true
}

/// The hash of a plugin name in a catalog's index: computed for each
/// descriptor when it is built (at compile time for the macro's statics),
/// and at run time for the names looked up.
///
/// Not resistant to chosen collisions: the index only ever holds
/// compiled-in names, and a lookup cannot add one, so colliding queries
/// can only slow down themselves.
pub(crate) const fn name_hash(name: &str) -> u64 {
    /// `(a * b)` folded: the high half xor the low half.
    const fn fold(a: u64, b: u64) -> u64 {
        let product = (a as u128) * (b as u128);
        (product as u64) ^ ((product >> 64) as u64)
    }
    const SEED: u64 = 0x243F_6A88_85A3_08D3;
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let bytes = name.as_bytes();
    let mut hash = SEED ^ bytes.len() as u64;
    let mut i = 0;
    while i < bytes.len() {
        // Eight bytes at a time, little-endian, zero-padded at the end.
        let mut word = 0u64;
        let mut j = 0;
        while j < 8 && i + j < bytes.len() {
            word |= (bytes[i + j] as u64) << (8 * j);
            j += 1;
        }
        hash = fold(hash ^ word, K);
        i += 8;
    }
    // Mixes the high bits (hashbrown's tags) into the low ones (its buckets)
    // and back.
    fold(hash, K ^ SEED)
}

/// String equality that first tries the pointer: a kind's name is one
/// constant, so a lookup usually passes the very `&'static str` the
/// descriptor holds.
#[inline]
pub(crate) fn same_str(a: &str, b: &str) -> bool {
    std::ptr::eq(a, b) || a == b
}
