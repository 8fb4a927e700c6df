//! What a GPU-hour costs: the per-chip rental table of data/prices.toml (each price with its
//! provider, date and source), and Epoch AI's amortised hardware-plus-energy method (Cottier
//! et al. 2024) for those who know what they paid.

use serde::{Deserialize, Serialize};

use super::{CostError, DataError, Field};

const PRICES_FILE: &str = "data/prices.toml";

const PRICES_TOML: &str = include_str!("../../data/prices.toml");
/// Epoch AI: hardware price-performance improves 0.14 orders of magnitude a year; hours in a
/// year as Epoch counts them.
const EPOCH_OOMS_PER_YEAR: f64 = 0.14;
const EPOCH_HOURS_PER_YEAR: f64 = 24.0 * 365.25;
/// Epoch AI: cluster interconnect is 19% of cluster cost; servers run at 75% of TDP.
const EPOCH_INTERCONNECT_SHARE: f64 = 0.19;
const EPOCH_SERVER_TDP_FRACTION: f64 = 0.75;
/// Server power per GPU over the GPU's TDP for most GPUs (Epoch AI, Cottier et al. 2024; 1.82
/// for the H100).
pub const EPOCH_CHIP_TO_SERVER_POWER: f64 = 1.8;

/// One chip's rental price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    pub chip: String,
    pub usd_per_gpu_hour: f64,
    /// "on-demand" list price, or "assumption" (a developer's stated figure).
    pub kind: String,
    pub provider: String,
    pub as_of: String,
    pub source: String,
}

/// The rental price table.
#[derive(Debug, Clone)]
pub struct Prices {
    pub prices: Vec<Price>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PricesFile {
    price: Vec<Price>,
}

impl Prices {
    pub fn load() -> Result<Self, DataError> {
        let file: PricesFile = toml::from_str(PRICES_TOML)
            .map_err(|e| DataError::parse(PRICES_FILE, e, PRICES_TOML))?;
        for (i, p) in file.price.iter().enumerate() {
            let entry = || format!("price of {:?}", p.chip);
            if !(p.usd_per_gpu_hour.is_finite() && p.usd_per_gpu_hour > 0.0) {
                return Err(DataError::new(
                    PRICES_FILE,
                    entry(),
                    "usd_per_gpu_hour",
                    format!("must be a positive number, got {}", p.usd_per_gpu_hour),
                ));
            }
            if file.price[..i].iter().any(|q| q.chip == p.chip) {
                return Err(DataError::new(
                    PRICES_FILE,
                    entry(),
                    "chip",
                    "listed twice".into(),
                ));
            }
        }
        Ok(Prices { prices: file.price })
    }

    fn for_chip(&self, chip: &str) -> Option<&Price> {
        self.prices.iter().find(|p| p.chip == chip)
    }

    /// The price a figure uses: `given` (`--price`), else the table's entry for `chip`, with
    /// where it comes from.
    pub fn choose(
        &self,
        chip: Option<&str>,
        given: Option<f64>,
    ) -> Result<Option<PriceUsed>, CostError> {
        Ok(match (given, chip.and_then(|c| self.for_chip(c))) {
            (Some(p), _) => Some(PriceUsed {
                usd_per_gpu_hour: super::within(Field::Price, p, 1e-4, 1e4)?,
                source: "given".into(),
            }),
            (None, Some(p)) => Some(PriceUsed {
                usd_per_gpu_hour: p.usd_per_gpu_hour,
                source: format!(
                    "{} price from {}, {} (data/prices.toml)",
                    p.kind, p.provider, p.as_of
                ),
            }),
            (None, None) => None,
        })
    }
}

/// The price an estimate uses, with where it comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PriceUsed {
    pub usd_per_gpu_hour: f64,
    pub source: String,
}

/// What Epoch AI's amortised-hardware method needs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AmortizedInputs {
    /// Acquisition price per GPU, including its share of the server, in USD.
    pub purchase_price_usd: f64,
    /// Years from acquisition to the training run (the price depreciates meanwhile).
    pub years_since_purchase: f64,
    pub tdp_kw: f64,
    /// Server power per GPU over GPU TDP (Epoch: 1.8 for most GPUs, 1.82 for H100).
    pub chip_to_server_power: f64,
    pub pue: f64,
    pub usd_per_kwh: f64,
}

impl AmortizedInputs {
    /// Checks the running-cost inputs (PUE, electricity price, years since purchase), which
    /// the command line checks even when no purchase price asks for them.
    pub fn check_running(pue: f64, usd_per_kwh: f64, years: f64) -> Result<(), CostError> {
        super::within(Field::Pue, pue, 1.0, 5.0)?;
        super::within(Field::UsdPerKwh, usd_per_kwh, 1e-4, 10.0)?;
        if !(years.is_finite() && (0.0..=30.0).contains(&years)) {
            return Err(CostError::input(
                Field::YearsSincePurchase,
                format!("must be between 0 and 30, got {years}"),
            ));
        }
        Ok(())
    }
}

/// Amortised cost of a run by Epoch AI's method, in USD.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Amortized {
    pub hardware_usd: f64,
    pub interconnect_usd: f64,
    pub energy_usd: f64,
    pub total_usd: f64,
    pub usd_per_gpu_hour: f64,
}

/// Epoch AI (Cottier et al. 2024): hardware amortised at the rate price-performance improves
/// (0.14 OOM/yr, i.e. 0.14 · ln 10 of the value per year), interconnect 19% of cluster cost,
/// and energy at server power, PUE and the electricity price.
pub fn amortized(gpu_hours: f64, i: &AmortizedInputs) -> Amortized {
    let value = i.purchase_price_usd * 10f64.powf(-EPOCH_OOMS_PER_YEAR * i.years_since_purchase);
    let per_hour = value * EPOCH_OOMS_PER_YEAR * std::f64::consts::LN_10 / EPOCH_HOURS_PER_YEAR;
    let hardware_usd = per_hour * gpu_hours;
    let interconnect_usd =
        hardware_usd * EPOCH_INTERCONNECT_SHARE / (1.0 - EPOCH_INTERCONNECT_SHARE);
    let energy_usd = i.tdp_kw
        * i.chip_to_server_power
        * EPOCH_SERVER_TDP_FRACTION
        * i.pue
        * gpu_hours
        * i.usd_per_kwh;
    let total_usd = hardware_usd + interconnect_usd + energy_usd;
    Amortized {
        hardware_usd,
        interconnect_usd,
        energy_usd,
        total_usd,
        usd_per_gpu_hour: total_usd / gpu_hours,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Database;

    #[test]
    fn every_price_names_a_known_chip_with_a_source_and_date() {
        let db = Database::load().unwrap();
        let prices = Prices::load().unwrap();
        assert!(prices.prices.len() >= 20);
        for p in &prices.prices {
            assert!(db.get(&p.chip).is_ok(), "{}", p.chip);
            assert!(p.source.starts_with("http"), "{}: {}", p.chip, p.source);
            assert!(
                p.as_of.len() >= 7 && p.as_of.starts_with("20"),
                "{}",
                p.chip
            );
            assert!(p.usd_per_gpu_hour < 100.0, "{}", p.chip);
        }
        // DeepSeek's own assumption is the H800's price, as its $5.576M rests on it.
        assert_eq!(
            prices.for_chip("nvidia-h800").unwrap().usd_per_gpu_hour,
            2.0
        );
        assert!(prices.for_chip("nvidia-rtx-4090").is_some());
        assert!(prices.for_chip("apple-m2-max").is_none());
    }

    #[test]
    fn epoch_amortized_method_matches_its_illustration() {
        // $35,000 per GPU, new; H100 0.7 kW, server factor 1.82, PUE 1.25, $0.0771/kWh:
        // $1.287 + $0.302 + $0.092 per GPU-hour, about $1.68.
        let a = amortized(
            1000.0,
            &AmortizedInputs {
                purchase_price_usd: 35_000.0,
                years_since_purchase: 0.0,
                tdp_kw: 0.7,
                chip_to_server_power: 1.82,
                pue: 1.25,
                usd_per_kwh: 0.0771,
            },
        );
        let close = |a: f64, b: f64, rel: f64| (a - b).abs() <= rel * b;
        assert!(close(a.hardware_usd / 1000.0, 1.287, 0.005));
        assert!(close(a.interconnect_usd / 1000.0, 0.302, 0.005));
        assert!(close(a.energy_usd / 1000.0, 0.092, 0.01));
        assert!(close(a.usd_per_gpu_hour, 1.68, 0.01));
    }
}
