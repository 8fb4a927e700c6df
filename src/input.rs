//! Checks and suggestions for what people type: positive numbers, names from a fixed set, and
//! the closest known ids when an id is unknown. One wording for every command's errors.

/// `v` when it is finite and above zero; otherwise a message naming `what`.
pub fn positive(what: &str, v: f64) -> Result<f64, String> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(format!("{what} must be a positive number, got {v}"))
    }
}

/// The item of `all` whose `name` is `s` (trimmed, case-insensitive), or a message listing them.
pub fn named<T: Copy>(
    what: &str,
    s: &str,
    all: &[T],
    name: impl Fn(T) -> &'static str,
) -> Result<T, String> {
    let wanted = s.trim();
    all.iter()
        .copied()
        .find(|&t| name(t).eq_ignore_ascii_case(wanted))
        .ok_or_else(|| {
            let known: Vec<&str> = all.iter().map(|&t| name(t)).collect();
            format!("unknown {what} {s:?}; known: {}", known.join(", "))
        })
}

/// The three ids of `ids` closest to `id`: those containing it first, then by edit distance.
pub fn closest<'a>(id: &str, ids: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let needle = id.to_lowercase();
    let mut ranked: Vec<(usize, &str)> = ids
        .map(|c| {
            let d = if c.contains(&needle) || needle.contains(c) {
                0
            } else {
                strsim::levenshtein(&needle, c)
            };
            (d, c)
        })
        .collect();
    ranked.sort();
    ranked.into_iter().take(3).map(|(_, c)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positive_rejects_zero_negative_and_nan() {
        assert_eq!(positive("x", 2.0), Ok(2.0));
        for v in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(positive("rate", v).unwrap_err().starts_with("rate must be"));
        }
    }

    #[test]
    fn named_lists_the_known_names() {
        let all = [1u8, 2];
        let name = |t: u8| if t == 1 { "one" } else { "two" };
        assert_eq!(named("number", " TWO ", &all, name), Ok(2));
        assert_eq!(
            named("number", "three", &all, name).unwrap_err(),
            "unknown number \"three\"; known: one, two"
        );
    }

    #[test]
    fn closest_prefers_containment_then_distance() {
        let ids = ["deepseek-v3", "llama-3.1-8b", "llama-3.1-70b", "gpt-4"];
        assert_eq!(closest("deepsek-v3", ids.into_iter())[0], "deepseek-v3");
        let l = closest("llama", ids.into_iter());
        assert!(l[0].starts_with("llama") && l[1].starts_with("llama"));
    }
}
