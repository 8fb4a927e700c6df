//! Fresh random inputs and the helpers every correctness check shares.
//!
//! Inputs are drawn from a generator seeded from the clock at each run, so no kernel can be
//! tuned to fixed data and no result can be cached; the seed is recorded with the check so a
//! failure can be replayed.

pub use crate::rng::Rng;

/// NaN as bits: outputs are filled with it before a run, so an element the kernel never wrote
/// fails the check.
pub(crate) const POISON: u32 = 0x7fc0_0000;

/// The relative Frobenius error ||got - want|| / ||want|| over (got, want) pairs: infinite when
/// any `got` is not finite (an element left NaN-poisoned) or every `want` is zero.
pub(crate) fn relative_error(pairs: impl IntoIterator<Item = (f64, f64)>) -> f64 {
    let (mut diff, mut norm) = (0.0f64, 0.0f64);
    for (got, want) in pairs {
        diff += if got.is_finite() {
            (got - want).powi(2)
        } else {
            f64::INFINITY
        };
        norm += want * want;
    }
    if norm > 0.0 {
        (diff / norm).sqrt()
    } else {
        f64::INFINITY
    }
}

/// Which of `total` elements to check: all of them when there are at most `max`, else the
/// first and last (edge tiles are where kernels go wrong) and a uniform random sample.
pub fn sample(total: u64, max: u64, rng: &mut Rng) -> Vec<u64> {
    if total <= max {
        return (0..total).collect();
    }
    let edge = (max / 8).max(1);
    let mut idx: Vec<u64> = (0..edge).chain(total - edge..total).collect();
    while (idx.len() as u64) < max {
        idx.push(rng.below(total));
    }
    idx
}

#[cfg(test)]
mod tests {
    use half::f16;

    use super::*;

    #[test]
    fn floats_cover_the_range_and_are_not_constant() {
        let mut r = Rng::new(7);
        let v = r.f32s(10_000);
        assert!(v.iter().all(|x| (-1.0..1.0).contains(x)));
        let mean = v.iter().sum::<f32>() / v.len() as f32;
        assert!(mean.abs() < 0.05, "mean {mean}");
        assert!(v.iter().any(|&x| x > 0.9) && v.iter().any(|&x| x < -0.9));
    }

    #[test]
    fn large_fills_are_reproducible_and_uncorrelated_across_chunks() {
        let a = Rng::new(42).f32s(3 << 20);
        assert_eq!(a, Rng::new(42).f32s(3 << 20));
        assert_ne!(a[..1 << 20], a[1 << 20..2 << 20]);
        assert!(a.iter().all(|x| (-1.0..1.0).contains(x)));
        let h = Rng::new(42).f16s(3 << 20);
        assert_eq!(h[..4].iter().map(|x| x.to_f32()).collect::<Vec<_>>(), {
            a[..4]
                .iter()
                .map(|&x| f16::from_f32(x).to_f32())
                .collect::<Vec<_>>()
        });
        assert_ne!(h[..1 << 20], h[1 << 20..2 << 20]);
    }

    #[test]
    fn seeds_give_different_streams() {
        assert_ne!(Rng::new(1).next_u64(), Rng::new(2).next_u64());
        assert_eq!(Rng::new(3).next_u64(), Rng::new(3).next_u64());
    }

    #[test]
    fn relative_error_is_zero_when_exact_and_infinite_on_nan_or_zero_reference() {
        assert_eq!(relative_error([(1.0, 1.0), (2.0, 2.0)]), 0.0);
        assert!((relative_error([(3.0, 4.0), (0.0, 0.0)]) - 0.25).abs() < 1e-15);
        assert!(relative_error([(f64::NAN, 1.0)]).is_infinite());
        assert!(relative_error([(1.0, 0.0)]).is_infinite());
    }

    #[test]
    fn sample_takes_all_or_edges_plus_random() {
        let mut r = Rng::new(1);
        assert_eq!(sample(5, 10, &mut r), vec![0, 1, 2, 3, 4]);
        let s = sample(1_000_000, 64, &mut r);
        assert_eq!(s.len(), 64);
        assert!(s.contains(&0) && s.contains(&999_999));
        assert!(s.iter().all(|&i| i < 1_000_000));
        assert!(r.below(10) < 10);
    }
}
