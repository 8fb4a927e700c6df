//! Every shader variant chipbench can build compiles through naga to SPIR-V, without a GPU, so
//! shader breakage shows in CI even for variants the CI device cannot run.

use chipbench::workloads::shader_sources;

#[test]
fn every_shader_variant_compiles_to_spirv() {
    let sources = shader_sources();
    assert!(
        sources.len() >= 8,
        "expected every variant, got {}",
        sources.len()
    );
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
