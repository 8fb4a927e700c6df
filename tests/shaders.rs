//! Every shader variant chipbench can build compiles through naga to SPIR-V, without a GPU, so
//! shader breakage shows in CI even for variants the CI device cannot run.

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
        let module = naga::front::wgsl::parse_str(source)
            .unwrap_or_else(|e| panic!("{name}: {}", e.emit_to_string(source)));
        let info = naga::valid::Validator::new(
            naga::valid::ValidationFlags::all(),
            naga::valid::Capabilities::all(),
        )
        .validate(&module)
        .unwrap_or_else(|e| panic!("{name}: {}", e.emit_to_string(source)));
        let words = naga::back::spv::write_vec(
            &module,
            &info,
            &naga::back::spv::Options::default(),
            Some(&naga::back::spv::PipelineOptions {
                shader_stage: naga::ShaderStage::Compute,
                entry_point: "main".to_string(),
            }),
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
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
