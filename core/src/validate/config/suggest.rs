//! "Did you mean ...?": the known key an unknown one is likely a typo of.

/// The candidate closest to `input`, if it is close enough to be a likely
/// typo: normalized Damerau-Levenshtein similarity ≥ 0.7, or at most two
/// edits on an input of three characters or more. Case is ignored.
pub(crate) fn suggest<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let input_l = input.to_lowercase();
    let mut best: Option<(usize, f64, &str)> = None;
    for c in candidates {
        let c_l = c.to_lowercase();
        if c_l == input_l && c == input {
            continue;
        }
        let distance = strsim::damerau_levenshtein(&input_l, &c_l);
        let score = strsim::normalized_damerau_levenshtein(&input_l, &c_l);
        let close = score >= 0.7 || (distance <= 2 && input_l.chars().count() >= 3);
        if !close {
            continue;
        }
        let better = match best {
            None => true,
            Some((d, s, b)) => {
                distance < d || (distance == d && (score > s || (score == s && c < b)))
            }
        };
        if better {
            best = Some((distance, score, c));
        }
    }
    best.map(|(_, _, c)| c.to_owned())
}
