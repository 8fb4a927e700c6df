//! The description of the device a run used: the `device` block of a result file and what
//! `chipbench devices` lists. The device layer fills it from wgpu; everything else reads it.

use serde::{Deserialize, Serialize};

use super::Numeric;

/// The limits a compute benchmark runs into, as the adapter reports them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuLimits {
    pub max_buffer_size: u64,
    pub max_storage_buffer_binding_size: u64,
    pub max_compute_workgroup_storage_size: u32,
    pub max_compute_invocations_per_workgroup: u32,
    pub max_compute_workgroup_size_x: u32,
    pub max_compute_workgroups_per_dimension: u32,
}

/// One cooperative-matrix (tensor-core) configuration the adapter offers. The element types
/// are the driver's names (`f16`, `f32`, `i32`, ...), kept as text: an adapter may list types
/// no chipbench kernel uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoopMatrixConfig {
    pub m: u32,
    pub n: u32,
    pub k: u32,
    pub ab_type: String,
    pub cr_type: String,
    pub saturating_accumulation: bool,
}

impl CoopMatrixConfig {
    /// Whether this is the `m`x`n`x`k` configuration with `ab` operands and `cr` accumulators.
    pub fn is(&self, (m, n, k): (u32, u32, u32), ab: Numeric, cr: Numeric) -> bool {
        (self.m, self.n, self.k) == (m, n, k)
            && self.ab_type == ab.name()
            && self.cr_type == cr.name()
    }
}

/// What kind of processor an adapter is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeviceKind {
    DiscreteGpu,
    IntegratedGpu,
    VirtualGpu,
    /// A software implementation such as lavapipe: its numbers describe the host CPU.
    Cpu,
    Other,
}

impl DeviceKind {
    pub fn name(self) -> &'static str {
        match self {
            DeviceKind::DiscreteGpu => "discrete-gpu",
            DeviceKind::IntegratedGpu => "integrated-gpu",
            DeviceKind::VirtualGpu => "virtual-gpu",
            DeviceKind::Cpu => "cpu",
            DeviceKind::Other => "other",
        }
    }
}

/// One adapter, as a result file records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceInfo {
    /// Position in the discovery order; what `--device INDEX` refers to.
    pub index: usize,
    pub name: String,
    pub vendor_id: u32,
    pub device_id: u32,
    pub device_type: DeviceKind,
    pub backend: String,
    pub driver: String,
    pub driver_info: String,
    pub subgroup_min_size: u32,
    pub subgroup_max_size: u32,
    pub timestamp_queries: bool,
    pub shader_f16: bool,
    pub subgroups: bool,
    pub cooperative_matrix: Vec<CoopMatrixConfig>,
    pub limits: GpuLimits,
    /// Chip id in the chip database (data/chips.toml) when the name maps to one.
    pub chip: Option<String>,
}

impl DeviceInfo {
    /// True for a software rasteriser such as lavapipe, whose numbers describe the host CPU.
    pub fn is_cpu(&self) -> bool {
        self.device_type == DeviceKind::Cpu
    }

    /// Selection rank for the default device: discrete, then integrated, then virtual, then CPU.
    pub(crate) fn rank(&self) -> u8 {
        match self.device_type {
            DeviceKind::DiscreteGpu => 0,
            DeviceKind::IntegratedGpu => 1,
            DeviceKind::VirtualGpu => 2,
            DeviceKind::Other => 3,
            DeviceKind::Cpu => 4,
        }
    }

    /// The largest buffer that can be bound as one storage binding.
    pub fn max_binding(&self) -> u64 {
        self.limits
            .max_storage_buffer_binding_size
            .min(self.limits.max_buffer_size)
    }

    /// Whether the adapter lists this cooperative-matrix configuration.
    pub fn offers_coop(&self, mnk: (u32, u32, u32), ab: Numeric, cr: Numeric) -> bool {
        self.cooperative_matrix.iter().any(|c| c.is(mnk, ab, cr))
    }
}

/// The one spelling of an adapter name that is mapped to a chip: Unicode NFKC (full-width
/// letters, ligatures and compatibility spaces become their plain forms), every format or
/// otherwise invisible character removed, every kind of white space (no-break spaces, line
/// separators, ideographic spaces, the blank Hangul fillers) a plain space, runs of spaces
/// collapsed, the ends trimmed.
/// Without it "NVIDIA  H200" or "NVIDIA\u{a0}H200" would be a device that maps to no chip and
/// escapes the H200's datasheet bounds.
pub(crate) fn normalise_name(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut out = String::with_capacity(name.len());
    for c in name.nfkc() {
        let blank =
            c.is_whitespace() || matches!(c, '\u{115f}' | '\u{1160}' | '\u{2028}' | '\u{2029}');
        if !blank && (invisible(c) || c.is_control()) {
            continue;
        }
        if blank {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
    out.truncate(out.trim_end().len());
    out
}

/// How a name looks, for telling lookalikes apart from names that are really different: the
/// normalised name in lower case without combining marks (an `H` with a dot above reads as
/// `H`), Cyrillic and Greek letters that look Latin made Latin, `o` read as `0` and `i`, `l`,
/// `|` as `1`, and everything that is not a letter or digit dropped. Other letters and digits
/// outside ASCII stay as they are: [`looks_like`] reads each of them as any character.
/// "NVIDIA H2OO", "NVIDlA-H200" and "NVIDIA Н200" (a Cyrillic Н) all look like "NVIDIA H200";
/// "NVIDIA H20" does not.
pub fn skeleton(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;
    normalise_name(name)
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'а' | 'α' => 'a',
            'в' | 'β' => 'b',
            'с' | 'ϲ' => 'c',
            'е' | 'ε' => 'e',
            'н' | 'η' => 'h',
            'к' | 'κ' => 'k',
            'м' | 'μ' => 'm',
            'п' | 'ν' => 'n',
            'р' | 'ρ' => 'p',
            'т' | 'τ' => 't',
            'х' | 'χ' => 'x',
            'у' | 'γ' => 'y',
            'o' | 'о' | 'ο' => '0',
            'i' | 'l' | '|' | 'і' | 'ι' => '1',
            c => c,
        })
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// Whether `name` could be taken for `known` (an ASCII adapter name): their skeletons are as
/// long and agree wherever `name` has an ASCII character; any other letter or digit (a
/// Cherokee `Ꮋ`, a Devanagari zero, a dotless `ı`) may stand for whatever `known` has there,
/// since no list of confusable characters is ever complete.
pub fn looks_like(name: &str, known: &str) -> bool {
    let (a, b) = (skeleton(name), skeleton(known));
    a.chars().count() == b.chars().count()
        && a.chars()
            .zip(b.chars())
            .all(|(x, y)| x == y || !x.is_ascii())
}

/// Whether `name` is `known` (an ASCII adapter name) with characters outside ASCII added
/// anywhere ("NVIDIA H200ᛁ", "ЖNVIDIA H200", "NVIDIA H200é"), which hide nothing either.
pub fn adds_letters(name: &str, known: &str) -> bool {
    let name = normalise_name(name);
    if name.is_ascii() {
        return false;
    }
    let theirs = skeleton(known);
    // Dropped before reading (an accented letter added), or after confusables are read
    // (a Cyrillic Н standing in and a Ж added).
    let ascii: String = name.chars().filter(char::is_ascii).collect();
    skeleton(&ascii) == theirs
        || skeleton(&name)
            .chars()
            .filter(char::is_ascii)
            .eq(theirs.chars())
}

/// The words of a name, normalised and in lower case, split at everything that is not a
/// letter or digit.
fn words(s: &str) -> Vec<String> {
    normalise_name(s)
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Whether `name` and `known` (an adapter name) share a run of words that makes one of them:
/// "NVIDIA H200 SXM" and "Acme NVIDIA H200" hold "NVIDIA H200", and "NVIDIA GH200" is held by
/// "NVIDIA GH200 480GB"; "NVIDIA H20" and "NVIDIA H200" neither hold the other. A one-word
/// name ("NVIDIA") is held by many and counts only when it holds a known name.
pub fn holds_name(name: &str, known: &str) -> bool {
    let (n, k) = (words(name), words(known));
    let within = |long: &[String], short: &[String]| {
        !short.is_empty() && long.windows(short.len()).any(|w| w == short)
    };
    within(&n, &k) || (n.len() >= 2 && within(&k, &n))
}

/// Whether `name` carries a model number of `known` (a word of three or more characters with a
/// digit in it, other than a memory size such as `80gb`): "NVIDIA Corporation H200", "Tesla
/// H200" and "H200 NVIDIA" carry the H200's; "NVIDIA H2000" and "Apple M2 Pro" carry none.
pub fn names_model(name: &str, known: &str) -> bool {
    let theirs: Vec<String> = words(known)
        .into_iter()
        .filter(|w| w.len() >= 3 && w.chars().any(|c| c.is_ascii_digit()) && !w.ends_with("gb"))
        .collect();
    words(name).iter().any(|w| theirs.contains(w))
}

/// Characters that render as nothing or change how the text around them renders: Unicode
/// format characters (zero-width spaces and joiners, direction marks, embeddings and isolates,
/// the Arabic letter mark, word joiners, invisible operators, the byte-order mark, interlinear
/// annotation, tags), fillers that draw nothing (Hangul fillers, the combining grapheme
/// joiner, Khmer inherent vowels, Mongolian separators), variation selectors, and the line
/// and paragraph separators.
pub fn invisible(c: char) -> bool {
    matches!(c,
        '\u{00ad}' | '\u{034f}' | '\u{061c}' | '\u{0600}'..='\u{0605}' | '\u{06dd}' | '\u{070f}'
        | '\u{08e2}' | '\u{115f}' | '\u{1160}' | '\u{17b4}' | '\u{17b5}' | '\u{180b}'..='\u{180f}'
        | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{206f}'
        | '\u{3164}' | '\u{fe00}'..='\u{fe0f}' | '\u{feff}' | '\u{ffa0}' | '\u{fff0}'..='\u{fffb}'
        | '\u{110bd}' | '\u{110cd}' | '\u{1bca0}'..='\u{1bca3}' | '\u{1d173}'..='\u{1d17a}'
        | '\u{e0000}'..='\u{e007f}' | '\u{e0100}'..='\u{e01ef}')
}

/// A lowercase name safe to use as one path component: letters, digits and single dashes, from
/// the normalised name (so that a full-width name lands where its plain spelling does).
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in normalise_name(s).chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let t: String = out.trim_matches('-').chars().take(64).collect();
    let t = t.trim_end_matches('-').to_string();
    if t.is_empty() {
        "unknown".to_string()
    } else {
        t
    }
}

/// A short lowercase vendor name for paths, from the PCI vendor id.
pub(crate) fn vendor_name(vendor_id: u32) -> String {
    match vendor_id {
        0x10de => "nvidia".into(),
        0x1002 | 0x1022 => "amd".into(),
        0x8086 => "intel".into(),
        0x106b => "apple".into(),
        0x13b5 => "arm".into(),
        0x5143 => "qualcomm".into(),
        0x10005 => "mesa".into(),
        other => format!("vendor-{other:04x}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_cannot_escape_a_directory() {
        assert_eq!(slug("NVIDIA H200"), "nvidia-h200");
        assert_eq!(slug("../../etc/passwd"), "etc-passwd");
        assert_eq!(
            slug("llvmpipe (LLVM 15.0.6, 256 bits)"),
            "llvmpipe-llvm-15-0-6-256-bits"
        );
        assert_eq!(slug("///"), "unknown");
        assert!(slug(&"x".repeat(500)).len() <= 64);
    }

    #[test]
    fn lookalike_spellings_normalise_to_one_name() {
        for odd in [
            "NVIDIA  H200",
            " NVIDIA H200 ",
            "NVIDIA\u{a0}H200",
            "NVIDIA\u{3164}H200",
            "NVIDIA \u{2066}H200\u{2069}",
            "NVIDIA\u{61c} H200",
            "NVIDIA \u{34f}H200",
            "NVIDIA\u{2028}H200",
            "NVIDIA \u{e0041}H200",
            "NVIDIA\u{3000}H200",
            "ＮＶＩＤＩＡ Ｈ２００",
            "NVIDIA\tH200",
        ] {
            assert_eq!(normalise_name(odd), "NVIDIA H200", "{odd:?}");
        }
        assert_eq!(slug("ＮＶＩＤＩＡ Ｈ２００"), "nvidia-h200");
        assert_eq!(skeleton("NVIDIA H2OO"), skeleton("NVIDIA H200"));
        assert_eq!(skeleton("NVIDlA-H200"), skeleton("nvidia h200"));
        assert_eq!(skeleton("NVIDIA \u{41d}200"), skeleton("NVIDIA H200"));
        assert_ne!(skeleton("NVIDIA H20"), skeleton("NVIDIA H200"));
        // Letters outside every confusable table still look like what they stand in for.
        for forged in [
            "NVIDIA \u{13bb}200",
            "NVIDIA H2\u{966}0",
            "NVIDIA H\u{307}200",
            "NV\u{131}DIA H200",
            "NVIDI\u{251} H200",
        ] {
            assert!(looks_like(forged, "NVIDIA H200"), "{forged}");
        }
        assert!(!looks_like("NVIDIA H20", "NVIDIA H200"));
        assert!(!looks_like("NVIDIA \u{13bb}20", "NVIDIA H200"));
        assert!(holds_name("NVIDIA H200 SXM", "NVIDIA H200"));
        assert!(holds_name("Acme NVIDIA  H200 (lab B)", "NVIDIA H200"));
        assert!(!holds_name("NVIDIA H200", "NVIDIA H20"));
        assert!(!holds_name("NVIDIA H2000", "NVIDIA H200"));
        assert!(holds_name("NVIDIA GH200", "NVIDIA GH200 480GB"));
        assert!(!holds_name("NVIDIA", "NVIDIA GH200 480GB"));
        assert!(adds_letters("NVIDIA H200\u{16c1}", "NVIDIA H200"));
        assert!(adds_letters("\u{416}NVIDIA H200", "NVIDIA H200"));
        assert!(adds_letters("NVIDIA H200\u{e9}", "NVIDIA H200"));
        assert!(adds_letters("NVIDIA \u{41d}200\u{416}", "NVIDIA H200"));
        assert!(!adds_letters("NVIDIA H200", "NVIDIA H200"));
        assert!(!looks_like("NVIDIA H200X", "NVIDIA H200"));
        for carries in ["NVIDIA Corporation H200", "Tesla H200", "H200 NVIDIA"] {
            assert!(names_model(carries, "NVIDIA H200"), "{carries}");
        }
        assert!(!names_model("NVIDIA H2000", "NVIDIA H200"));
        assert!(!names_model("Apple M2 Pro", "Apple M2 Max"));
        assert!(!names_model(
            "Tesla V100S-PCIE-32GB",
            "Tesla V100-PCIE-32GB"
        ));
        assert!(!names_model(
            "llvmpipe (LLVM 15.0.6, 256 bits)",
            "NVIDIA H200"
        ));
    }

    #[test]
    fn device_kinds_serialise_as_before() {
        for k in [
            DeviceKind::DiscreteGpu,
            DeviceKind::IntegratedGpu,
            DeviceKind::VirtualGpu,
            DeviceKind::Cpu,
            DeviceKind::Other,
        ] {
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                format!("\"{}\"", k.name())
            );
        }
    }
}
