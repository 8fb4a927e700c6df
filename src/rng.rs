//! The project's random numbers: SplitMix64, seeded from the clock for fresh benchmark inputs
//! (so no kernel can be tuned to fixed data) or from a fixed seed where a result must repeat
//! (a bootstrap). A leaf module, so the bench layer and the readers of results share it.

use std::time::{SystemTime, UNIX_EPOCH};

use half::f16;

/// SplitMix64: small, fast, and good enough to make inputs a compiler or cache cannot predict.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// A seed that differs from run to run.
    pub(crate) fn fresh_seed() -> u64 {
        let t = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9e37_79b9);
        t ^ (u64::from(std::process::id()) << 32)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [-1, 1).
    pub(crate) fn next_f32(&mut self) -> f32 {
        ((self.next_u64() >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }

    /// Uniform in 0..n.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// `n` values uniform in [-1, 1).
    pub(crate) fn f32s(&mut self, n: usize) -> Vec<f32> {
        self.fill(n, Rng::next_f32)
    }

    /// `n` values uniform in [-1, 1), rounded to f16.
    pub(crate) fn f16s(&mut self, n: usize) -> Vec<f16> {
        self.fill(n, |r| f16::from_f32(r.next_f32()))
    }

    /// `n` values uniform in [-1, 1) as f32, rounded to f16 values when `half` (so a CPU
    /// reference computes with exactly what an f16 kernel reads).
    pub fn values(&mut self, n: usize, half: bool) -> Vec<f32> {
        if half {
            self.f16s(n).into_iter().map(f16::to_f32).collect()
        } else {
            self.f32s(n)
        }
    }

    /// `n` values drawn by `draw`. Large requests are filled by several threads, each from its
    /// own stream derived from this generator, so the values depend only on its state.
    fn fill<T: Copy + Default + Send>(
        &mut self,
        n: usize,
        draw: impl Fn(&mut Rng) -> T + Sync,
    ) -> Vec<T> {
        const CHUNK: usize = 1 << 20;
        let mut out = vec![T::default(); n];
        let seeds: Vec<u64> = (0..n.div_ceil(CHUNK)).map(|_| self.next_u64()).collect();
        let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
        let per_thread = n.div_ceil(CHUNK).div_ceil(threads).max(1) * CHUNK;
        std::thread::scope(|scope| {
            for (t, part) in out.chunks_mut(per_thread).enumerate() {
                let (seeds, draw) = (&seeds, &draw);
                scope.spawn(move || {
                    for (c, chunk) in part.chunks_mut(CHUNK).enumerate() {
                        let mut rng = Rng::new(seeds[t * per_thread / CHUNK + c]);
                        chunk.iter_mut().for_each(|x| *x = draw(&mut rng));
                    }
                });
            }
        });
        out
    }
}
