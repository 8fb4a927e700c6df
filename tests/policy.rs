//! Export-control arithmetic against the research table, the rule boundaries, the datacenter
//! note, the argmax cases, monotonicity, Epoch AI's own TPP column, and the command line.

mod common;

use std::path::Path;

use chipbench::bench::data::Rng;
use chipbench::model::{RunResult, Unit as ExecUnit};
use chipbench::policy::measured::compare;
use chipbench::policy::rules::ReviewPolicy;
use chipbench::policy::view::comparison_document;
use chipbench::policy::{
    Class, DISCLAIMER, Database, Met, Precision, Rule, Spec, Unit, check_against_epoch, classify,
    epoch_differences, import_epoch,
};
use chipbench::view::{Format, render};
use common::{chipbench, one_line_error, succeeds};

const EPOCH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/epoch-ml-hardware.csv"
);

fn raw(peaks: &[(Precision, f64)], die: Option<f64>, dc: Option<bool>) -> Spec {
    Spec {
        units: vec![Unit {
            name: "chip".into(),
            vector: Default::default(),
            matrix: peaks.iter().copied().collect(),
            matrix_fp16_accumulate: Default::default(),
        }],
        die_area_mm2: die,
        datacenter: dc,
        memory_bandwidth_gbps: None,
        interconnect_gbps: None,
        hbm_density: None,
        us_commercial: None,
        licence_letter: None,
    }
}

fn bf16(tflops: f64, die: Option<f64>, dc: Option<bool>) -> Spec {
    raw(&[(Precision::Bf16, tflops)], die, dc)
}

fn verdict(s: &Spec) -> (Class, Option<&'static str>) {
    let v = classify(s, Rule::Oct2023);
    (v.classification, v.clause)
}

#[test]
fn every_chip_in_the_research_table_gets_its_tpp_and_class() {
    let db = Database::load().unwrap();
    assert!(db.chips.len() >= 25, "{} chips", db.chips.len());
    // (id, TPP from the table, classification, clause) under the October 2023 rule.
    let table: [(&str, f64, Class, Option<&str>); 22] = [
        ("nvidia-a100-sxm", 4992.0, Class::A, Some("3A090.a.1")),
        ("nvidia-a800", 4992.0, Class::A, Some("3A090.a.1")),
        ("nvidia-h100-sxm", 15832.0, Class::A, Some("3A090.a.1")),
        ("nvidia-h100-pcie", 12104.0, Class::A, Some("3A090.a.1")),
        ("nvidia-h800", 15832.0, Class::A, Some("3A090.a.1")),
        ("nvidia-h20", 2368.0, Class::Outside, None),
        ("nvidia-h200-sxm", 15832.0, Class::A, Some("3A090.a.1")),
        ("nvidia-b200", 36000.0, Class::A, Some("3A090.a.1")),
        ("nvidia-l40s", 5864.0, Class::A, Some("3A090.a.1")),
        ("nvidia-l4", 1940.0, Class::A, Some("3A090.a.2")),
        ("nvidia-rtx-4090", 5285.0, Class::A, Some("3A090.a.1")),
        ("nvidia-rtx-4090d", 4707.0, Class::Outside, None),
        ("nvidia-rtx-5090", 6704.0, Class::A, Some("3A090.a.1")),
        ("nvidia-rtx-5090d", 4750.0, Class::Outside, None),
        ("amd-mi250x", 6128.0, Class::A, Some("3A090.a.1")),
        ("amd-mi300x", 20919.0, Class::A, Some("3A090.a.1")),
        ("huawei-ascend-910b", 5120.0, Class::A, Some("3A090.a.1")),
        ("huawei-ascend-910c", 12800.0, Class::A, Some("3A090.a.1")),
        ("intel-gaudi2", 6920.0, Class::A, Some("3A090.a.1")),
        ("intel-gaudi3", 29360.0, Class::A, Some("3A090.a.1")),
        ("apple-m2-max", 562.0, Class::Outside, None),
        ("apple-m3-max", 669.0, Class::Outside, None),
    ];
    for (id, tpp, class, clause) in table {
        let chip = db.get(id).unwrap();
        let v = classify(&chip.spec(), Rule::Oct2023);
        assert!((v.tpp - tpp).abs() <= 1.0, "{id}: TPP {} vs {tpp}", v.tpp);
        assert_eq!(
            (v.classification, v.clause),
            (class, clause),
            "{id}: {}",
            v.explanation
        );
        assert!(!chip.sources.is_empty(), "{id} has no source");
    }
    // Consumer cards above 4800 are 3A090.a but NAC/ACA eligible; datacenter .a is not.
    assert!(classify(&db.get("nvidia-rtx-4090").unwrap().spec(), Rule::Oct2023).nac_eligible);
    assert!(!classify(&db.get("nvidia-h100-sxm").unwrap().spec(), Rule::Oct2023).nac_eligible);
}

#[test]
fn other_vintages() {
    let db = Database::load().unwrap();
    let class = |id: &str, rule| classify(&db.get(id).unwrap().spec(), rule);
    // October 2022: interconnect >= 600 GB/s and TPP >= 4800.
    assert_eq!(
        class("nvidia-a100-sxm", Rule::Oct2022).classification,
        Class::A
    );
    assert_eq!(
        class("nvidia-a800", Rule::Oct2022).classification,
        Class::Outside
    );
    assert_eq!(
        class("nvidia-h800", Rule::Oct2022).classification,
        Class::Outside
    );
    assert_eq!(
        class("nvidia-l40s", Rule::Oct2022).classification,
        Class::Outside
    );
    // The 910B's HCCS (392 GB/s) is under the 600 GB/s line; the BR100 lists no interconnect.
    assert_eq!(
        class("huawei-ascend-910b", Rule::Oct2022).classification,
        Class::Outside
    );
    assert_eq!(
        class("biren-br100", Rule::Oct2022).classification,
        Class::Undetermined
    );
    // January 2026: a licence-review policy, not a classification. TPP < 21,000, DRAM < 6,500
    // GB/s and sold in the US when the rule was published; the exporter's conditions unknown.
    let review = |id: &str| class(id, Rule::Jan2026).licence_review.unwrap();
    for id in ["nvidia-h200-sxm", "amd-mi300x", "amd-mi325x"] {
        let r = review(id);
        assert_eq!(r.policy, ReviewPolicy::CaseByCase, "{id}");
        assert_eq!(r.conditions.len(), 7);
        assert!(
            r.conditions[..3].iter().all(|c| c.status == Met::Met),
            "{id}"
        );
        assert!(
            r.conditions[3..].iter().all(|c| c.status == Met::Unknown),
            "{id}"
        );
    }
    assert_eq!(
        review("nvidia-b200").policy,
        ReviewPolicy::PresumptionOfDenial
    );
    assert_eq!(review("nvidia-b200").conditions[0].status, Met::NotMet);
    // China-only parts do not qualify: not commercially available in the US.
    for id in ["nvidia-h800", "nvidia-a800"] {
        let r = review(id);
        assert_eq!(r.policy, ReviewPolicy::PresumptionOfDenial, "{id}");
        assert_eq!(r.conditions[2].status, Met::NotMet, "{id}");
    }
    assert_eq!(review("nvidia-h20").policy, ReviewPolicy::NotApplicable);
    // The RTX 4090 D is outside 3A090 (a consumer part under TPP 4800); it would not qualify
    // for case-by-case review either way.
    let d = review("nvidia-rtx-4090d");
    assert!(d.policy != ReviewPolicy::CaseByCase && d.conditions[2].status == Met::NotMet);
    // The H200 (TPP 15,832 at 4,800 GB/s) sits inside the first Section 232 tariff band.
    assert!(
        review("nvidia-h200-sxm")
            .tariff
            .unwrap()
            .contains("14000-17500")
    );
    assert!(review("nvidia-b200").tariff.is_none());
    // The classification itself is the 2024-12 one, and the 2026 headroom names its ceiling.
    let h200 = class("nvidia-h200-sxm", Rule::Jan2026);
    assert_eq!(
        (h200.classification, h200.clause),
        (Class::A, Some("3A090.a.1"))
    );
    assert!(h200.headroom.iter().any(|h| h.tpp_threshold == 21000.0));
    assert!(review("nvidia-h200-sxm").bandwidth_ratio.unwrap() < 1.0);
    // Other vintages name only their own thresholds.
    let oct = class("nvidia-h200-sxm", Rule::Oct2023);
    assert!(oct.headroom.iter().all(|h| h.tpp_threshold <= 4800.0));
    assert_eq!(class("nvidia-a100-sxm", Rule::Oct2022).headroom.len(), 1);
    // December 2024: HBM note for a given density; the IC stays classified by TPP/PD.
    let mut s = db.get("nvidia-h200-sxm").unwrap().spec();
    s.hbm_density = Some(2.5);
    let v = classify(&s, Rule::Dec2024);
    let h = v.hbm.unwrap();
    assert!(h.stack_is_3a090c && h.license_exception_hbm);
    assert_eq!(v.classification, Class::A);
    assert!(classify(&s, Rule::Oct2023).hbm.is_none());
}

#[test]
fn boundaries_are_inclusive_where_the_rule_says_so() {
    let dc = Some(true);
    // TPP exactly 4800 (300 TFLOP/s at 16 bits), whatever the density.
    assert_eq!(
        verdict(&bf16(300.0, Some(1e6), dc)),
        (Class::A, Some("3A090.a.1"))
    );
    assert_eq!(verdict(&bf16(299.99, Some(1e6), dc)).0, Class::Outside);
    // PD exactly 5.92 (TPP 2960 on 500 mm^2), and just below (then 3A090.b.1 matches first).
    assert_eq!(
        verdict(&bf16(185.0, Some(500.0), dc)),
        (Class::A, Some("3A090.a.2"))
    );
    assert_eq!(
        verdict(&bf16(185.0, Some(500.1), dc)),
        (Class::B, Some("3A090.b.1"))
    );
    // Below TPP 2400 only 3A090.b.2 is left: PD 5.9 at TPP 1600.
    assert_eq!(
        verdict(&bf16(100.0, Some(1600.0 / 5.9), dc)),
        (Class::B, Some("3A090.b.2"))
    );
    // PD exactly 3.2 at TPP exactly 1600.
    assert_eq!(
        verdict(&bf16(100.0, Some(500.0), dc)),
        (Class::B, Some("3A090.b.2"))
    );
    assert_eq!(verdict(&bf16(100.0, Some(500.1), dc)).0, Class::Outside);
    assert_eq!(verdict(&bf16(99.99, Some(10.0), dc)).0, Class::Outside);
    // TPP exactly 2400 with PD exactly 1.6.
    assert_eq!(
        verdict(&bf16(150.0, Some(1500.0), dc)),
        (Class::B, Some("3A090.b.1"))
    );
    assert_eq!(verdict(&bf16(149.99, Some(1499.9), dc)).0, Class::Outside);
    assert_eq!(verdict(&bf16(150.0, Some(1500.1), dc)).0, Class::Outside);
}

#[test]
fn the_datacenter_note_and_unknowns() {
    // Not for datacenters: excluded below 4800, 3A090.a (NAC/ACA) from 4800.
    assert_eq!(
        verdict(&bf16(299.0, Some(100.0), Some(false))).0,
        Class::Outside
    );
    let v = classify(&bf16(300.0, Some(100.0), Some(false)), Rule::Oct2023);
    assert!(v.classification == Class::A && v.nac_eligible);
    // 3A090.b in a datacenter part is NAC/ACA eligible.
    assert!(classify(&bf16(100.0, Some(500.0), Some(true)), Rule::Oct2023).nac_eligible);
    // Unknown datacenter flag: decided only when both answers agree.
    assert_eq!(
        verdict(&bf16(200.0, Some(800.0), None)).0,
        Class::Undetermined
    );
    assert_eq!(verdict(&bf16(400.0, None, None)).0, Class::A);
    // Unknown die area where PD decides.
    let v = classify(&bf16(200.0, None, Some(true)), Rule::Oct2023);
    assert_eq!(v.classification, Class::Undetermined);
    assert!(v.performance_density.is_none() && v.explanation.contains("die area is unknown"));
    // TF32 as 32 bits would cross 4800; as 19 it does not: TF32 decides.
    let v = classify(
        &raw(&[(Precision::Tf32, 200.0)], Some(1000.0), Some(true)),
        Rule::Oct2023,
    );
    assert_eq!(v.classification, Class::Undetermined);
    assert!(v.tf32.contains("decides") && v.tpp == 3800.0 && v.tpp_tf32_as_32 == 6400.0);
}

#[test]
fn sixteen_bits_can_beat_eight() {
    let db = Database::load().unwrap();
    for id in ["intel-gaudi3", "amd-mi250x"] {
        let v = classify(&db.get(id).unwrap().spec(), Rule::Oct2023);
        assert_eq!(
            v.argmax_precision.bits(19),
            16,
            "{id}: {:?}",
            v.argmax_precision
        );
    }
    let h = classify(&db.get("nvidia-h100-sxm").unwrap().spec(), Rule::Oct2023);
    assert_eq!(h.argmax_precision, Precision::Fp8);
}

#[test]
fn headroom_names_the_largest_rate_under_a_threshold() {
    let db = Database::load().unwrap();
    let v = classify(&db.get("nvidia-h20").unwrap().spec(), Rule::Oct2023);
    assert_eq!(v.nearest_threshold, 2400.0);
    let h = v
        .headroom
        .iter()
        .find(|h| h.tpp_threshold == 4800.0)
        .unwrap();
    assert_eq!(
        (h.max_dense_16bit_tflops, h.max_dense_8bit_tops),
        (300.0, 600.0)
    );
}

#[test]
fn raising_a_peak_never_lowers_tpp_or_control() {
    let mut rng = Rng::new(42);
    let mut unit = || (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    for _ in 0..3000 {
        let mut peaks = Vec::new();
        for p in Precision::ALL {
            if unit() < 0.5 {
                peaks.push((p, 1.0 + unit() * 3000.0));
            }
        }
        if peaks.is_empty() {
            continue;
        }
        let die = (unit() < 0.8).then(|| 50.0 + unit() * 2000.0);
        let dc = [Some(true), Some(false), None][(unit() * 3.0) as usize % 3];
        let mut spec = raw(&peaks, die, dc);
        spec.interconnect_gbps = (unit() < 0.7).then(|| unit() * 1200.0);
        spec.memory_bandwidth_gbps = (unit() < 0.7).then(|| unit() * 9000.0);
        let i = (unit() * peaks.len() as f64) as usize % peaks.len();
        let mut raised = spec.clone();
        *raised.units[0].matrix.get_mut(&peaks[i].0).unwrap() *= 1.0 + unit() * 4.0;
        for rule in Rule::ALL {
            let (a, b) = (classify(&spec, rule), classify(&raised, rule));
            assert!(b.tpp >= a.tpp && b.tpp_tf32_as_32 >= a.tpp_tf32_as_32);
            assert!(
                b.classification.severity() >= a.classification.severity(),
                "{rule}: {:?} -> {:?}\n{}\n{}",
                a.classification,
                b.classification,
                a.explanation,
                b.explanation
            );
        }
    }
}

#[test]
fn epoch_tpp_column_agreement() {
    let rows = import_epoch(Path::new(EPOCH)).expect("Epoch's CSV imports");
    assert!(rows.len() >= 160, "{} rows", rows.len());
    let checks = check_against_epoch(&rows);
    let with_19 = checks.iter().filter(|c| c.agrees_tf32_as_19).count();
    let with_32 = checks.iter().filter(|c| c.agrees_tf32_as_32).count();
    eprintln!(
        "TPP agrees with Epoch's column for {with_19} of {} rows (TF32 as 19 bits), {with_32} (as 32 bits)",
        checks.len()
    );
    for c in checks.iter().filter(|c| c.reason.is_some()) {
        eprintln!("  {}: {}", c.id, c.reason.as_deref().unwrap());
    }
    assert_eq!((checks.len(), with_19, with_32), (160, 156, 153));
    let inconsistent: Vec<&str> = checks
        .iter()
        .filter(|c| !c.agrees_tf32_as_19 && !c.agrees_tf32_as_32)
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(inconsistent.len(), 4, "{inconsistent:?}");
    assert!(
        checks
            .iter()
            .filter(|c| c.agrees_tf32_as_19 != c.agrees_tf32_as_32)
            .all(|c| c.reason.as_deref().unwrap().contains("TF32"))
    );
}

#[test]
fn measured_beside_rated() {
    let db = Database::load().unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("results/nvidia/nvidia-h200/788c5ff8540abced7339f909a6e8162656f077571271ccf6faac048bbb59959e.json");
    let result = RunResult::read(&path).unwrap();
    let c = compare(&db, &result, Rule::Oct2023);
    assert_eq!(c.chip.as_deref(), Some("nvidia-h200-sxm"));
    let rated = c.rated.as_ref().unwrap();
    assert_eq!(rated.classification, Class::A);
    let fma = c
        .measured
        .iter()
        .find(|m| m.workload == "fma" && m.precision == "f32")
        .unwrap();
    assert!((fma.measured_over_rated.unwrap() - 0.95).abs() < 0.005);
    // Each against its own unit: vector FMA f16 against the vector f16 peak (133.8), the
    // tiled matmul too, and the cooperative-matrix kernels against the matrix f16 peak.
    let of = |variant: &str| {
        let m = c
            .measured
            .iter()
            .filter(|m| m.variant == variant)
            .max_by(|a, b| a.measured_tflops.total_cmp(&b.measured_tflops))
            .unwrap();
        let r = m.rated.as_ref().unwrap();
        (m.measured_over_rated.unwrap(), r.unit, r.tflops)
    };
    let (share, unit, peak) = of("f16");
    assert!((0.93..=0.97).contains(&share), "fma f16 at {share}");
    assert_eq!((unit, peak), (ExecUnit::Vector, 133.8));
    // f16 inputs widened to f32 are f32 multiply-adds: rated against the vector fp32 peak.
    let (share, unit, peak) = of("tiled-f16-f32acc");
    assert!((0.5..=0.6).contains(&share), "{share}");
    assert_eq!((unit, peak), (ExecUnit::Vector, 66.9));
    let (share, unit, peak) = of("coop-f16-f32acc");
    assert_eq!((unit, peak), (ExecUnit::Matrix, 989.4));
    assert!((0.1..=0.2).contains(&share), "{share}");
    assert_eq!(
        fma.effective_bit_weighted_throughput,
        fma.measured_tflops * 32.0
    );
    let text = render(&comparison_document(&c), Format::Table);
    assert!(text.contains("not TPP"), "{text}");
    // A device with no entry: the measured side only.
    let mut unknown = result.clone();
    unknown.device.name = "Mystery Accelerator".into();
    let c = compare(&db, &unknown, Rule::Oct2023);
    assert!(c.chip.is_none() && c.rated.is_none() && !c.measured.is_empty());
    let text = render(&comparison_document(&c), Format::Table);
    assert!(text.contains("no entry in the chip database"), "{text}");
}

#[test]
fn command_line() {
    let out = chipbench(&["classify", "--chip", "nvidia-h100-sxm", "--json"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "tpp",
        "argmax_precision",
        "performance_density",
        "classification",
        "clause",
        "nac_eligible",
        "explanation",
    ] {
        assert!(v.get(key).is_some(), "{key}");
    }
    assert_eq!(v["classification"], "3A090.a");
    let text = String::from_utf8_lossy(
        &chipbench(&[
            "classify",
            "--peak",
            "bf16=148",
            "--peak",
            "fp8=296",
            "--die-area",
            "814",
            "--datacenter",
        ])
        .stdout,
    )
    .to_string();
    assert!(
        text.contains("outside-3A090")
            && text.contains("TPP 2368")
            && text.contains("other controls may still apply"),
        "{text}"
    );
    assert_eq!(text.trim_end().lines().last(), Some(DISCLAIMER));
    let none = chipbench(&["classify", "--peak", "bf16=200", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&none.stdout).unwrap();
    assert!(v["performance_density"].is_null() && v["classification"] == "undetermined");
    succeeds(&[
        "classify",
        "--chip",
        "epoch:google-tpu-v4",
        "--epoch",
        EPOCH,
        "--json",
    ]);
    let list = chipbench(&["chips", "--json"]);
    let chips: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert!(chips.as_array().unwrap().len() >= 25);

    assert!(one_line_error(&["classify", "--peak", "fp12=100"]).contains("unknown precision"));
    assert!(one_line_error(&["classify", "--peak", "bf16=-5"]).contains("positive"));
    assert!(one_line_error(&["classify", "--peak", "bf16=nan"]).contains("positive"));
    assert!(one_line_error(&["classify", "--peak", "bf16"]).contains("PREC=VALUE"));
    assert!(
        one_line_error(&["classify", "--peak", "bf16=100", "--die-area=1e-300"])
            .contains("die area must be between")
    );
    // A figure the question does not use is checked all the same.
    assert!(
        one_line_error(&["classify", "--chip", "nvidia-h200-sxm", "--die-area", "NaN"])
            .contains("die area must be a positive number")
    );
    // A part of an id that several ids contain lists them; a unique part (any case) resolves.
    let e = one_line_error(&["classify", "--chip", "nvidia-h100"]);
    assert!(e.contains("matches 3 chips"), "{e}");
    for id in ["nvidia-h100-sxm", "nvidia-h100-pcie", "nvidia-h100-nvl"] {
        assert!(e.contains(id), "{e}");
    }
    let h200 = succeeds(&["classify", "--chip", "H200", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&h200.stdout).unwrap();
    assert_eq!(v["tpp"].as_f64().map(f64::round), Some(15831.0), "{v}");
    assert!(
        one_line_error(&["classify", "--chip", "nvidia-h200-sxm", "--rule", "2025-05"])
            .contains("unknown rule vintage")
    );
    assert!(one_line_error(&["classify"]).contains("--chip"));
    assert!(one_line_error(&["chips", "--import-epoch", "no/such.csv"]).contains("no/such.csv"));
}

#[test]
fn database_figures_agree_with_epoch_or_say_why() {
    let db = Database::load().unwrap();
    let rows = import_epoch(Path::new(EPOCH)).unwrap();
    let mut compared = 0;
    let mut undocumented = Vec::new();
    for chip in db.chips.iter() {
        let Some(name) = &chip.epoch_name else {
            continue;
        };
        let row = rows
            .iter()
            .find(|r| &r.name == name)
            .unwrap_or_else(|| panic!("{}: no Epoch row named {name:?}", chip.id));
        compared += 1;
        for d in epoch_differences(chip, row) {
            if d.reason.is_none() {
                undocumented.push(format!(
                    "{} {}: ours {} vs Epoch {}",
                    chip.id, d.field, d.ours, d.epoch
                ));
            }
        }
        // A documented exception that no longer differs is stale.
        for field in chip.epoch_differs.keys() {
            assert!(
                epoch_differences(chip, row)
                    .iter()
                    .any(|d| &d.field == field),
                "{}: epoch_differs lists {field}, which agrees with Epoch",
                chip.id
            );
        }
    }
    assert!(undocumented.is_empty(), "{undocumented:#?}");
    assert!(compared >= 30, "only {compared} chips have an Epoch row");
    // Every chip separates its units: a matrix-unit peak, and vector peaks where the vendor
    // publishes them (GPUs).
    for chip in &db.chips {
        let spec = chip.spec();
        assert!(
            spec.units
                .iter()
                .any(|u| !u.matrix.is_empty() || !u.vector.is_empty()),
            "{}",
            chip.id
        );
    }
}
