//! Every shader variant chipbench can build compiles through naga to SPIR-V, without a GPU, so
//! shader breakage shows in CI even for variants the CI device cannot run.

mod common;

use chipbench::bench::{ALL, Scale, Sizing, shader_sources};

#[test]
fn every_planned_variant_has_its_shaders_listed() {
    // Every variant a workload plans at any scale is among its listed shaders, so the
    // compilation below covers every kernel a run can build.
    for w in ALL {
        let names: Vec<String> = (w.sources)().into_iter().map(|(n, _)| n).collect();
        for scale in [Scale::Quick, Scale::Cpu, Scale::Gpu] {
            let sizing = Sizing {
                scale,
                max_binding: 1 << 31,
            };
            for case in (w.plan)(&sizing) {
                assert!(
                    names.iter().any(|n| n.contains(case.variant)),
                    "{w} {}: no shader listed among {names:?}",
                    case.variant
                );
            }
        }
    }
}

#[test]
fn every_shader_variant_compiles_to_spirv() {
    let sources = shader_sources();
    for (name, source) in &sources {
        let words = common::spirv(source, "main").unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(words[0], 0x0723_0203, "{name}: not SPIR-V");
    }
}

#[test]
fn variant_names_are_unique() {
    let sources = shader_sources();
    let mut names: Vec<&str> = sources.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    assert_eq!(before, names.len());
}
