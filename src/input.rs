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

/// `v` when it is a number between `lo` and `hi` (inclusive), the range a person could mean;
/// otherwise a message naming `what` and the range. Keeps absurd inputs (1e-320 TFLOP/s, a
/// die of 1e-300 mm^2) from turning into infinite or 300-digit outputs.
pub fn within(what: &str, v: f64, lo: f64, hi: f64) -> Result<f64, String> {
    let v = positive(what, v)?;
    if (lo..=hi).contains(&v) {
        Ok(v)
    } else {
        Err(format!(
            "{what} must be between {lo:e} and {hi:e}, got {v:e}"
        ))
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
    fn within_refuses_absurd_magnitudes() {
        assert_eq!(within("--tflops", 100.0, 1e-6, 1e7), Ok(100.0));
        assert!(
            within("--tflops", 1e-320, 1e-6, 1e7)
                .unwrap_err()
                .contains("between")
        );
        assert!(within("--tflops", 1e300, 1e-6, 1e7).is_err());
        assert!(
            within("--tflops", -1.0, 1e-6, 1e7)
                .unwrap_err()
                .contains("positive")
        );
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
