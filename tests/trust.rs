//! The forgery suite (issue #24): what a hostile contributor tries against the dataset and its
//! readers, each class with the number that must hold. Re-sealed copies with self-declared
//! fields changed and forged vendor files change no standing and no derived figure; lookalike
//! device names map to their chip or are refused; no bound falls back to another unit or a
//! narrower width; signatures are misused in every way (an unlisted key, a listed key over
//! another file, a signature swapped between runs, another namespace) without effect;
//! `--out` replaces nothing that is not chipbench's; FIFOs and `/dev/zero` hang nothing;
//! `dataset add` stops cleanly on Ctrl-C and leaves no temporary file; readers refuse
//! incomplete runs unless asked; validation refuses the oddities the adversarial run found.
//! Keys are made here, in temporary folders; one test signs with the real `ssh-keygen`.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chipbench::dataset::{self, Added, Admission, AllowedSigners, Standing, Verification};
use chipbench::model::{RunResult, Throughput, WorkloadRecord};
use chipbench::policy::Database;
use common::{H200, H200_VENDOR, Need, Test, chipbench, needs, plain, repo};
use ssh_key::private::Ed25519Keypair;
use ssh_key::{LineEnding, PrivateKey};

fn scratch(name: &str) -> PathBuf {
    common::scratch_in("trust", name)
}

fn committed(p: &str) -> RunResult {
    RunResult::read(&repo(p)).unwrap()
}

/// `r` changed by `edit`, sealed again and written to `dir/name`.
fn forged(dir: &Path, name: &str, mut r: RunResult, edit: impl FnOnce(&mut RunResult)) -> PathBuf {
    edit(&mut r);
    r.seal();
    let path = dir.join(name);
    r.write_atomic(&path).unwrap();
    path
}

/// Makes `w` claim `factor` times its figure, every sample and statistic consistent.
fn scale(w: &mut WorkloadRecord, factor: f64) {
    let Some(t) = w.timing.as_mut() else { return };
    for s in t.samples_ns.iter_mut().chain([
        &mut t.median_ns,
        &mut t.min_ns,
        &mut t.max_ns,
        &mut t.mean_ns,
    ]) {
        *s /= factor;
    }
    let median = t.median_ns;
    w.throughput = Some(Throughput::at(w.flops_per_iter, w.bytes_per_iter, median));
}

/// A signer's key, made from a seed, written as OpenSSH files under `dir`.
struct Key {
    private: PathBuf,
    line: String,
}

fn key(dir: &Path, signer: &str, seed: u8) -> Key {
    let k = PrivateKey::from(Ed25519Keypair::from_seed(&[seed; 32]));
    let private = dir.join(format!("{signer}.key"));
    fs::write(&private, k.to_openssh(LineEnding::LF).unwrap().as_bytes()).unwrap();
    let line = format!("{signer} {}", k.public_key().to_openssh().unwrap());
    Key { private, line }
}

fn list(root: &Path, keys: &[&Key]) -> AllowedSigners {
    let text: Vec<&str> = keys.iter().map(|k| k.line.as_str()).collect();
    fs::write(root.join("allowed_signers"), text.join("\n")).unwrap();
    AllowedSigners::load(root).unwrap()
}

fn add(db: &Database, root: &Path, file: &Path, sign: Option<&Key>) -> Added {
    let how = Admission {
        signers: AllowedSigners::load(root).unwrap(),
        sign_with: sign.map(|k| k.private.as_path()),
        ..Default::default()
    };
    dataset::add(db, root, &[file.to_path_buf()], &how)
        .pop()
        .unwrap()
        .1
}

fn stored(outcome: Added) -> PathBuf {
    match outcome {
        Added::Stored(at, _) => at,
        other => panic!("not stored: {other:?}"),
    }
}

/// Each run's standing in the index of `root`, by file name.
fn standings(db: &Database, root: &Path) -> Vec<(String, Standing)> {
    let signers = AllowedSigners::load(root).unwrap();
    let runs: Vec<(PathBuf, RunResult)> = dataset::files(root)
        .into_iter()
        .filter_map(|p| dataset::read(db, &p).ok().map(|r| (p, r)))
        .collect();
    let named: Vec<dataset::Candidate> = runs
        .iter()
        .map(|(p, r)| {
            let signer = dataset::verify(&signers, p).signer().map(String::from);
            (p.file_name().unwrap().to_string_lossy().into(), r, signer)
        })
        .collect();
    dataset::standings(db, &named)
        .into_iter()
        .map(|(n, s)| (n, s.standing))
        .collect()
}

fn standing_of(all: &[(String, Standing)], id: &str) -> Standing {
    all.iter()
        .find(|(n, _)| n.starts_with(id))
        .unwrap_or_else(|| panic!("{id} not in {all:?}"))
        .1
}

/// The signed genuine runs, then forged copies as the adversarial run made them: unsigned and
/// signed by unlisted keys. Not one standing changes, and `cost` still rests on the genuine
/// vendor GEMM.
fn resealed_forgeries_change_no_standing() {
    let db = Database::load().unwrap();
    let root = scratch("forgeries");
    let keys = scratch("forgeries-keys");
    let inbox = scratch("forgeries-inbox");
    let lab = key(&keys, "lab@example.org", 1);
    let stranger = key(&keys, "stranger", 9);
    list(&root, &[&lab]);
    for f in [H200, H200_VENDOR] {
        stored(add(&db, &root, &repo(f), Some(&lab)));
    }
    let (h200, vendor) = (committed(H200), committed(H200_VENDOR));
    let before = standings(&db, &root);
    assert_eq!(standing_of(&before, &h200.id), Standing::Single);
    let mut forgeries = Vec::new();
    type Edit = fn(&mut RunResult);
    let edits: [(&str, Edit); 4] = [
        ("space", |r| {
            r.host.cpu_model = Some("Intel(R) Xeon(R)  Processor".into())
        }),
        ("memory", |r| {
            r.host.memory_bytes = r.host.memory_bytes.map(|m| m + 1)
        }),
        ("zone", |r| {
            r.created_at = r.created_at.replace('Z', "+00:00")
        }),
        ("contributor", |r| {
            r.contributor = Some("an independent lab".into())
        }),
    ];
    for (name, edit) in edits {
        forgeries.push(forged(&inbox, &format!("{name}.json"), h200.clone(), edit));
    }
    // Two forged vendor files 1.3x faster, from two "hosts"; two slow files renamed to the H200.
    for host in ["host-a", "host-b"] {
        forgeries.push(forged(
            &inbox,
            &format!("{host}.json"),
            vendor.clone(),
            |r| {
                r.host.cpu_model = Some(host.into());
                r.workloads
                    .iter_mut()
                    .filter(|w| w.workload == "matmul" && w.shape["m"] >= 4096)
                    .for_each(|w| scale(w, 1.3));
            },
        ));
        forgeries.push(forged(
            &inbox,
            &format!("slow-{host}.json"),
            h200.clone(),
            |r| {
                r.host.cpu_model = Some(host.into());
                r.workloads.iter_mut().for_each(|w| scale(w, 0.01));
            },
        ));
    }
    for (i, f) in forgeries.iter().enumerate() {
        let signer = (i % 2 == 0).then_some(&stranger);
        let at = stored(add(&db, &root, f, signer));
        assert!(at.starts_with(root.join("nvidia/nvidia-h200")), "{at:?}");
    }
    // A link to a file outside the tree and a misplaced copy: no second run either.
    std::os::unix::fs::symlink(&forgeries[0], root.join("nvidia/link.json")).unwrap();
    fs::create_dir_all(root.join("elsewhere")).unwrap();
    fs::copy(repo(H200_VENDOR), root.join("elsewhere/copy.json")).unwrap();
    let after = standings(&db, &root);
    for (id, want) in [(&h200.id, Standing::Single), (&vendor.id, Standing::Single)] {
        assert_eq!(standing_of(&after, id), want, "{after:?}");
    }
    let unverified = after.iter().filter(|(_, s)| *s == Standing::Unverified);
    assert_eq!(unverified.count(), forgeries.len(), "{after:?}");
    // The misplaced copy is the signed vendor run itself, counted once.
    assert_eq!(standing_of(&after, "copy"), Standing::Single);
    // The derived figure rests on the genuine signed cuBLAS run, and says so.
    let est = common::json_of(&[
        "cost",
        "--model",
        "deepseek-v3",
        "--result",
        repo(H200).to_str().unwrap(),
        "--dataset",
        root.to_str().unwrap(),
        "--json",
    ]);
    let text = est.to_string();
    // cuBLAS bf16 at 677.9 TFLOP/s from the signed run, not the forged 1.3x figure.
    let genuine = "\"flop_per_s\":677895489071387";
    assert!(
        text.contains(genuine) && text.contains("\"standing\":\"single\""),
        "{text}"
    );
    // Another listed signer's run that agrees confirms the genuine one.
    let lab2 = key(&keys, "lab2@example.org", 2);
    list(&root, &[&lab, &lab2]);
    let again = forged(&inbox, "again.json", h200.clone(), |r| {
        r.created_at = "2026-11-30T10:00:00Z".into();
        r.workloads.iter_mut().for_each(|w| scale(w, 0.99));
    });
    stored(add(&db, &root, &again, Some(&lab2)));
    assert_eq!(
        standing_of(&standings(&db, &root), &h200.id),
        Standing::Confirmed
    );
}

/// The committed runs are unsigned: `unverified`, and `cost` still takes the cuBLAS figure,
/// naming it unverified.
fn committed_runs_are_unverified_and_still_used() {
    let out = common::succeeds(&["cost", "--model", "deepseek-v3", "--result", H200]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("cublas-bf16") && text.contains("677.9") && text.contains("unverified"),
        "{text}"
    );
    let index = fs::read_to_string(repo("results/index.csv")).unwrap();
    assert!(index.lines().skip(1).all(|l| l.contains(",unverified,")));
}

/// Lookalike device names: each spelling of "NVIDIA H200" claiming 7,641 GB/s (the H200's
/// memory: 4,800) is refused, by the H200's own bound or for the characters it hides; a name
/// that looks like a known one but maps to no chip is refused with the chip it resembles.
fn lookalike_names_map_to_one_chip_or_are_refused() {
    let db = Database::load().unwrap();
    let root = scratch("lookalike");
    let inbox = scratch("lookalike-inbox");
    let spellings = [
        "NVIDIA  H200",
        "NVIDIA\u{a0}H200",
        "NVIDIA\u{3164}H200",
        "NVIDIA \u{2066}H200\u{2069}",
        "NVIDIA\u{61c} H200",
        "NVIDIA \u{34f}H200",
        "NVIDIA\u{2028}H200",
        "NVIDIA \u{e0041}H200",
        "ＮＶＩＤＩＡ Ｈ２００",
        "NVIDIA H2OO",
        "NVIDlA-H200",
        "NVIDIA \u{41d}200",
        // Letters in no confusable table, combining marks, and a known name among other words.
        "NVIDIA \u{13bb}200",
        "NVIDIA \u{4ba}200",
        "NVIDIA H2\u{966}0",
        "NVIDIA H\u{307}200",
        "NV\u{131}DIA H200",
        "NVIDIA H200 SXM",
        "Acme NVIDIA H200 (lab B)",
        "",
        "NVIDIA H200\u{16c1}",
        "\u{16c1}NVIDIA H200",
        "NVIDIA Corporation H200",
        "Tesla H200",
    ];
    for (i, name) in spellings.iter().enumerate() {
        let f = forged(&inbox, &format!("{i}.json"), committed(H200), |r| {
            r.device.name = name.to_string();
            r.device.chip = None;
            for w in r.workloads.iter_mut().filter(|w| w.workload == "copy") {
                let gbps = w.figure().unwrap().value / 1e9;
                scale(w, 7641.0 / gbps);
            }
        });
        let Added::Rejected(reasons) = add(&db, &root, &f, None) else {
            panic!("{name:?} was stored")
        };
        let why = reasons.join("; ");
        assert!(
            why.contains("H200 SXM memory bandwidth of 4800")
                || why.contains("invisible characters")
                || why.contains("looks like \"NVIDIA H200\"")
                || why.contains("adds letters to \"NVIDIA H200\"")
                || why.contains("shares the words of \"NVIDIA H200\"")
                || why.contains("carries the model number of \"NVIDIA H200\"")
                || why.contains("has no letter or digit"),
            "{name:?}: {why}"
        );
    }
    assert!(dataset::files(&root).is_empty());
    // A really different name is no lookalike: no two chips' names look alike.
    assert_eq!(db.for_adapter("NVIDIA  H20").unwrap().id, "nvidia-h20");
    let mut seen = std::collections::BTreeMap::new();
    for c in &db.chips {
        for n in &c.wgpu_names {
            let other = seen.insert(chipbench::model::skeleton(n), &c.id);
            assert!(
                other.is_none_or(|o| o == &c.id),
                "{n} looks like a name of {other:?}"
            );
        }
    }
}

/// No bound falls back to another unit or a narrower width: f32 on matrix units that list no
/// 32-bit rate is refused, with a message that says so.
fn bounds_stay_on_their_unit_and_width() {
    let db = Database::load().unwrap();
    for (device, chip) in [
        ("NVIDIA GeForce RTX 4090", "RTX 4090"),
        ("NVIDIA L40S", "L40S"),
    ] {
        let mut r = committed(H200);
        r.device.name = device.into();
        r.device.chip = None;
        let w = r
            .workloads
            .iter_mut()
            .find(|w| {
                w.variant == "coop-f16-f32acc" && w.shape["k"] == 8192 && w.shape["m"] == 8192
            })
            .unwrap();
        w.precision.inputs = chipbench::model::Numeric::F32;
        let tflops = w.figure().unwrap().value / 1e12;
        scale(w, 1000.0 / tflops);
        r.seal();
        let reasons = dataset::implausible(&db, &r);
        let f32 = reasons
            .iter()
            .find(|p| p.contains("coop-f16-f32acc"))
            .unwrap_or_else(|| panic!("{device}: {reasons:?}"));
        assert!(
            f32.contains(&format!("{chip} lists no matrix peak for f32 work")),
            "{f32}"
        );
        assert!(
            !reasons.iter().any(|p| p.contains("any unit")),
            "{reasons:?}"
        );
    }
}

/// Signatures misused every way: none makes a run verified, and the broken ones are refused
/// by `add` and named by `check`.
fn signature_misuse_verifies_nothing() {
    let db = Database::load().unwrap();
    let root = scratch("misuse");
    let keys = scratch("misuse-keys");
    let inbox = scratch("misuse-inbox");
    let (lab, stranger) = (key(&keys, "lab", 3), key(&keys, "stranger", 4));
    let signers = list(&root, &[&lab]);
    let sign = |k: &Key, bytes: &[u8]| dataset::signature::sign(&k.private, bytes).unwrap();
    let a = fs::read(repo(H200)).unwrap();
    let b = fs::read(repo(H200_VENDOR)).unwrap();
    // A valid signature by an unlisted key: stored, unverified.
    let v = dataset::signature::verify_bytes(&signers, &a, sign(&stranger, &a).as_bytes());
    assert!(matches!(v, Verification::UnknownKey { .. }), "{v:?}");
    // A listed key's signature over another file, placed beside this one: refused.
    let f = inbox.join("a.json");
    fs::write(&f, &a).unwrap();
    fs::write(inbox.join("a.json.sig"), sign(&lab, &b)).unwrap();
    let Added::Rejected(why) = add(&db, &root, &f, None) else {
        panic!("a signature over another file was taken")
    };
    assert!(why[0].contains("does not verify over this file"), "{why:?}");
    // Another namespace (a git commit signature) is no chipbench signature.
    let git = PrivateKey::from_openssh(fs::read(&lab.private).unwrap())
        .unwrap()
        .sign("git", ssh_key::HashAlg::Sha512, &a)
        .unwrap()
        .to_pem(LineEnding::LF)
        .unwrap();
    fs::write(inbox.join("a.json.sig"), git).unwrap();
    assert!(matches!(add(&db, &root, &f, None), Added::Rejected(_)));
    // Two signed runs in the tree, their signatures swapped: both unverified, both named.
    let sa = stored(add(&db, &root, &repo(H200), Some(&lab)));
    let sb = stored(add(&db, &root, &repo(H200_VENDOR), Some(&lab)));
    for p in [&sa, &sb] {
        assert_eq!(
            dataset::verify(&signers, p).signer(),
            Some("lab"),
            "stored with its signature"
        );
    }
    let (siga, sigb) = (sa.with_extension("json.sig"), sb.with_extension("json.sig"));
    let (ta, tb) = (fs::read(&siga).unwrap(), fs::read(&sigb).unwrap());
    fs::write(&siga, tb).unwrap();
    fs::write(&sigb, ta).unwrap();
    let all = standings(&db, &root);
    assert!(
        all.iter().all(|(_, s)| *s == Standing::Unverified),
        "{all:?}"
    );
    let bad = dataset::check(&db, &root);
    let named: Vec<_> = bad
        .iter()
        .filter(|(p, _)| p.extension().unwrap() == "sig")
        .collect();
    assert_eq!(named.len(), 2, "{bad:?}");
    // A signature left without its file.
    fs::write(root.join("nvidia/nvidia-h200/gone.json.sig"), "x").unwrap();
    let bad = dataset::check(&db, &root);
    assert!(
        bad.iter().any(|(_, r)| r[0].contains("no result file")),
        "{bad:?}"
    );
}

/// `report` weighs a dataset's runs against that dataset's own signers, not results/'s.
fn reports_verify_against_their_datasets_signers() {
    let db = Database::load().unwrap();
    let root = scratch("report-signers");
    let other = scratch("report-signers-other");
    let keys = scratch("report-signers-keys");
    let lab = key(&keys, "lab", 5);
    list(&root, &[&lab]);
    stored(add(&db, &root, &repo(H200), Some(&lab)));
    let report = |args: &[&str]| {
        let out = chipbench(args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let text = report(&["report", root.to_str().unwrap()]);
    assert!(
        text.contains("among the runs of this chip: 1 single"),
        "{text}"
    );
    // Two datasets with different signer lists cannot be read as one.
    list(&other, &[]);
    let out = chipbench(&["report", root.to_str().unwrap(), other.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("datasets with different signers"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The signature `ssh-keygen -Y sign -n chipbench` writes verifies, and `dataset add` takes it
/// along from beside the file.
fn ssh_keygen_signatures_verify() {
    let root = scratch("keygen");
    let dir = scratch("keygen-inbox");
    let key = dir.join("id_ed25519");
    let made = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "me", "-f"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(made.success());
    let public = fs::read_to_string(key.with_extension("pub")).unwrap();
    fs::write(root.join("allowed_signers"), format!("me@lab {public}")).unwrap();
    let file = dir.join("run.json");
    fs::copy(repo(H200), &file).unwrap();
    let signed = Command::new("ssh-keygen")
        .args(["-Y", "sign", "-n", "chipbench", "-f"])
        .arg(&key)
        .arg(&file)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(signed.success());
    let out = common::chipbench(&[
        "dataset",
        "add",
        file.to_str().unwrap(),
        "--root",
        root.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("(signed by me@lab)"), "{text}");
    // And `ssh-keygen -Y verify` accepts what `--sign` made.
    let file2 = dir.join("vendor.json");
    fs::copy(repo(H200_VENDOR), &file2).unwrap();
    let sig = dataset::signature::sign(&key, &fs::read(&file2).unwrap()).unwrap();
    fs::write(dir.join("vendor.json.sig"), sig).unwrap();
    let verified = Command::new("ssh-keygen")
        .args(["-Y", "verify", "-n", "chipbench", "-I", "me@lab", "-f"])
        .arg(root.join("allowed_signers"))
        .arg("-s")
        .arg(dir.join("vendor.json.sig"))
        .stdin(fs::File::open(&file2).unwrap())
        .output()
        .unwrap();
    assert!(verified.status.success(), "{verified:?}");
}

/// `--out` never replaces an input, a file that is not an earlier output of its kind, or
/// anything but a regular file.
fn outputs_replace_nothing_that_is_not_theirs() {
    let dir = scratch("outputs");
    let input = dir.join("x.json");
    fs::copy(repo(H200), &input).unwrap();
    let x = input.to_str().unwrap();
    let err = common::one_line_error(&["report", x, "--out", x, "--force"]);
    assert!(err.contains("is an input of this command"), "{err}");
    assert_eq!(fs::read(&input).unwrap(), fs::read(repo(H200)).unwrap());
    let notes = dir.join("notes.txt");
    fs::write(&notes, "mine").unwrap();
    let n = notes.to_str().unwrap();
    let err = common::one_line_error(&["report", x, "--format", "markdown", "--out", n]);
    assert!(err.contains("not a report of this format"), "{err}");
    assert_eq!(fs::read_to_string(&notes).unwrap(), "mine");
    let md = dir.join("r.md");
    let m = md.to_str().unwrap();
    for _ in 0..2 {
        let out = common::chipbench(&["report", x, "--format", "markdown", "--out", m]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let err = common::one_line_error(&["report", x, "--format", "csv", "--out", m]);
    assert!(err.contains("not a report of this format"), "{err}");
    let out = common::chipbench(&["report", x, "--format", "csv", "--out", n, "--force"]);
    assert!(out.status.success());
    let err = common::one_line_error(&["report", x, "--out", "/dev/null"]);
    assert!(err.contains("not a regular file"), "{err}");
}

/// `run --out` over a file that is not a result is refused before anything runs; an
/// interrupted run leaves the complete result at the target as it was.
fn runs_keep_the_target_until_they_complete() {
    let dir = scratch("run-out");
    let notes = dir.join("notes.txt");
    fs::write(&notes, "mine").unwrap();
    let err = common::one_line_error(&["run", "--quick", "--out", notes.to_str().unwrap()]);
    assert!(err.contains("not a result file"), "{err}");
    assert_eq!(fs::read_to_string(&notes).unwrap(), "mine");
    let target = dir.join("x.json");
    fs::copy(repo(H200), &target).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_chipbench"))
        .args(["run", "--quick", "--quiet", "--out"])
        .arg(&target)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(2));
    // SAFETY: signalling the child this test started.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    let now = RunResult::read(&target).unwrap();
    if status.code() == Some(130) {
        assert_eq!(fs::read(&target).unwrap(), fs::read(repo(H200)).unwrap());
        let partial = RunResult::load(&dir.join("x.json.partial")).unwrap();
        assert!(!partial.complete);
    } else {
        assert!(
            now.complete,
            "a run that ended on its own replaced the target complete"
        );
    }
}

/// Runs `args` and returns its output, or fails if it takes longer than `limit`.
fn within(limit: Duration, args: &[&str]) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_chipbench"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("chipbench {args:?} hung");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// A FIFO or a link to /dev/zero named README.md or index.csv in the dataset hangs nothing.
fn special_files_in_the_dataset_hang_nothing() {
    for (name, kind) in [
        ("README.md", "fifo"),
        ("index.csv", "fifo"),
        ("README.md", "zero"),
    ] {
        let root = scratch(&format!("special-{name}-{kind}"));
        let path = root.join(name);
        match kind {
            "fifo" => {
                let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
                // SAFETY: a valid NUL-terminated path.
                assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
            }
            _ => std::os::unix::fs::symlink("/dev/zero", &path).unwrap(),
        }
        let out = within(
            Duration::from_secs(20),
            &["dataset", "index", root.to_str().unwrap()],
        );
        common::assert_one_line_error(&out);
        let check = within(
            Duration::from_secs(20),
            &["dataset", "check", root.to_str().unwrap()],
        );
        assert_eq!(check.status.code(), Some(0), "{check:?}");
    }
}

/// Ctrl-C during `dataset add`: the file being stored is finished, the rest are left, the exit
/// status is 130, and no temporary file remains.
fn dataset_add_stops_cleanly_on_ctrl_c() {
    let root = scratch("sigint");
    let inbox = scratch("sigint-inbox");
    let h200 = committed(H200);
    let files: Vec<String> = (0..400)
        .map(|i| {
            forged(&inbox, &format!("{i}.json"), h200.clone(), |r| {
                r.contributor = Some(format!("copy {i}"))
            })
            .display()
            .to_string()
        })
        .collect();
    let mut args = vec!["dataset", "add", "--root", root.to_str().unwrap()];
    args.extend(files.iter().map(String::as_str));
    let mut child = Command::new(env!("CARGO_BIN_EXE_chipbench"))
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
    assert!(first.starts_with("added "), "{first}");
    // SAFETY: signalling the child this test started.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("not added (interrupted)"), "{err}");
    let db = Database::load().unwrap();
    let kept = dataset::files(&root);
    assert!(!kept.is_empty() && kept.len() < files.len());
    assert!(kept.iter().all(|p| dataset::read(&db, p).is_ok()));
    assert!(
        dataset::check(&db, &root).is_empty(),
        "no temporary file left"
    );
}

/// Temporaries are named by `check` at any age and removed by `add` once their process is gone.
fn temporaries_are_named_and_removed_when_orphaned() {
    let db = Database::load().unwrap();
    let root = scratch("temporaries");
    let dir = root.join("nvidia/nvidia-h200");
    fs::create_dir_all(&dir).unwrap();
    // A process that has ended, and this one.
    let gone = Command::new("true").spawn().unwrap();
    let dead = gone.id();
    let mut gone = gone;
    gone.wait().unwrap();
    let id = |c: char| c.to_string().repeat(64);
    let orphan = dir.join(format!(".{}.json.{dead}.tmp", id('a')));
    let live = dir.join(format!(".{}.json.{}.tmp", id('b'), std::process::id()));
    fs::write(&orphan, "partial").unwrap();
    fs::write(&live, "partial").unwrap();
    // Files that only look like temporaries are someone else's: never named, never removed.
    let theirs = [
        root.join(".notes.tmp"),
        dir.join(".draft.123456789.tmp"),
        dir.join(format!(".{}.json.x1.tmp", id('c'))),
        dir.join(format!(".{}.json.0.tmp", id('d'))),
        dir.join(format!(".{}.json.0{dead}.tmp", id('e'))),
        // Named like ours, but where the dataset never writes.
        root.join(format!(".git/.{}.json.{dead}.tmp", id('f'))),
        root.join(format!("notes/.mine.json.{dead}.tmp")),
        dir.join(format!("cache/.x.json.{dead}.tmp")),
    ];
    for f in &theirs {
        fs::create_dir_all(f.parent().unwrap()).unwrap();
        fs::write(f, "keep").unwrap();
    }
    let bad = dataset::check(&db, &root);
    assert_eq!(bad.len(), 2, "{bad:?}");
    assert!(
        bad.iter()
            .any(|(p, r)| *p == orphan && r[0].contains("interrupted"))
    );
    assert!(
        bad.iter()
            .any(|(p, r)| *p == live && r[0].contains("still running"))
    );
    stored(add(&db, &root, &repo(H200), None));
    assert!(!orphan.exists() && live.exists());
    assert!(
        theirs.iter().all(|f| f.exists()),
        "a file not ours was removed"
    );
}

/// Readers take complete runs only, unless asked.
fn readers_refuse_incomplete_runs_unless_asked() {
    let dir = scratch("incomplete");
    let f = forged(&dir, "partial.json", committed(H200), |r| {
        r.complete = false
    });
    let f = f.to_str().unwrap();
    let commands: [&[&str]; 5] = [
        &["report", f],
        &["compare", f, H200],
        &["cost", "--model", "deepseek-v3", "--result", f],
        &["classify", "--result", f],
        &["inference", "--model", "deepseek-v3", "--result", f],
    ];
    for args in commands {
        let args: Vec<&str> = args.to_vec();
        let out = common::chipbench(&args);
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // `report` skips what it cannot read and says there is nothing left.
        let named = args[0] == "report" || all.contains("--allow-incomplete");
        assert!(!out.status.success() && named, "{args:?}: {all}");
        let mut allowed = args.clone();
        allowed.push("--allow-incomplete");
        common::succeeds(&allowed);
    }
}

/// The oddities the adversarial run found, each refused with its reason.
fn validation_refuses_the_oddities() {
    type Edit = fn(&mut RunResult);
    let edits: [(&str, &str, Edit, &str); 11] = [
        (
            "coverage",
            H200,
            |r| {
                let c = r.workloads[0].check.as_mut().unwrap();
                (c.checked, c.total) = (1, 1 << 48);
            },
            "a check of 1 of",
        ),
        (
            "total",
            H200,
            |r| {
                let w = r
                    .workloads
                    .iter_mut()
                    .find(|w| w.workload == "matmul")
                    .unwrap();
                w.check.as_mut().unwrap().total = 1 << 40;
            },
            "output elements; this shape has",
        ),
        ("empty", H200, |r| r.workloads.clear(), "workload records"),
        (
            "long",
            H200,
            |r| r.contributor = Some("x".repeat(50 << 20)),
            "no text in a result",
        ),
        (
            "future",
            H200,
            |r| r.created_at = "9999-01-01T00:00:00Z".into(),
            "in the future",
        ),
        ("cores", H200, |r| r.host.cores = usize::MAX, "host: 1 to"),
        (
            "relabelled",
            H200,
            |r| {
                r.source = chipbench::model::Source::VendorLibrary;
                r.tool.name = "vendor_reference.py".into();
            },
            "defines a tolerance",
        ),
        (
            "no-tolerance",
            H200_VENDOR,
            |r| {
                let w = r
                    .workloads
                    .iter_mut()
                    .find(|w| w.workload == "attention")
                    .unwrap();
                w.variant = "torch-flex-f16".into();
            },
            "defines a tolerance",
        ),
        (
            "tool",
            H200_VENDOR,
            |r| r.tool.name = "chipbench".into(),
            "contradicts its tool",
        ),
        (
            "samples",
            H200,
            |r| {
                let t = r.workloads[0].timing.as_mut().unwrap();
                let s = t.samples_ns.clone();
                for _ in 0..10 {
                    t.samples_ns.extend_from_slice(&s);
                }
                t.passes = t.samples_ns.len();
            },
            "passes its budget allows",
        ),
        (
            "repeated",
            H200,
            |r| {
                let w = r.workloads[0].clone();
                r.workloads.push(w);
            },
            "appears twice",
        ),
    ];
    for (name, from, edit, want) in edits {
        let mut r = committed(from);
        edit(&mut r);
        r.seal();
        let problems = r.problems();
        assert!(
            problems.iter().any(|p| p.contains(want)),
            "{name}: {problems:?}"
        );
    }
    // Self-reports that contradict the chip the adapter name maps to.
    let db = Database::load().unwrap();
    let contradictions: [(Edit, &str); 2] = [
        (
            |r| r.device.vendor_id = 0x1002,
            "is not the maker of NVIDIA",
        ),
        (
            |r| r.device.device_type = chipbench::model::DeviceKind::Cpu,
            "a CPU adapter named",
        ),
    ];
    for (edit, want) in contradictions {
        let mut r = committed(H200);
        edit(&mut r);
        r.seal();
        let why = dataset::implausible(&db, &r);
        assert!(why.iter().any(|p| p.contains(want)), "{want}: {why:?}");
    }
}

/// Self-declared fields and device names mutated at random, re-sealed and unsigned: no panic,
/// no hang, no signed run's standing changed, no forgery above its chip's bounds stored.
fn forgery_fuzz_changes_no_signed_standing() {
    let db = Database::load().unwrap();
    let root = scratch("fuzz");
    let keys = scratch("fuzz-keys");
    let lab = key(&keys, "lab", 5);
    list(&root, &[&lab]);
    let h200 = committed(H200);
    stored(add(&db, &root, &repo(H200), Some(&lab)));
    stored(add(&db, &root, &repo(H200_VENDOR), Some(&lab)));
    let mut rng = chipbench::bench::data::Rng::new(24);
    let pieces = [
        "NVIDIA",
        "H200",
        " ",
        "\u{a0}",
        "\u{3164}",
        "\u{2066}",
        "\u{200b}",
        "O",
        "0",
        "l",
        "\u{e0020}",
        "Ｈ",
        "-",
        "GeForce RTX 4090",
        "H20",
    ];
    let mut stored_forgeries = 0;
    for i in 0..300 {
        let mut r = h200.clone();
        let mut pick = |n: usize| rng.next_u64() as usize % n;
        r.device.name = (0..1 + pick(5))
            .map(|_| pieces[pick(pieces.len())])
            .collect();
        r.device.chip = None;
        r.host.cores = 1 + pick(256);
        r.contributor = Some(format!("fuzz {i}"));
        let factor = [0.5, 0.99, 1.01, 1.3, 3.0][pick(5)];
        r.workloads.iter_mut().for_each(|w| scale(w, factor));
        r.seal();
        let path = scratch("fuzz-inbox").join(format!("{i}.json"));
        r.write_atomic(&path).unwrap();
        if let Added::Stored(..) = add(&db, &root, &path, None) {
            stored_forgeries += 1;
            assert!(dataset::implausible(&db, &r).is_empty());
        }
    }
    let all = standings(&db, &root);
    assert_eq!(standing_of(&all, &h200.id), Standing::Single, "{all:?}");
    assert_eq!(
        all.iter().filter(|(_, s)| s.verified()).count(),
        2,
        "only the two signed runs are verified"
    );
    assert!(stored_forgeries > 0, "the fuzz reached storage");
}

fn main() {
    let tests: Vec<Test> = vec![
        plain(
            "resealed_forgeries_change_no_standing",
            resealed_forgeries_change_no_standing,
        ),
        plain(
            "committed_runs_are_unverified_and_still_used",
            committed_runs_are_unverified_and_still_used,
        ),
        plain(
            "lookalike_names_map_to_one_chip_or_are_refused",
            lookalike_names_map_to_one_chip_or_are_refused,
        ),
        plain(
            "bounds_stay_on_their_unit_and_width",
            bounds_stay_on_their_unit_and_width,
        ),
        plain(
            "signature_misuse_verifies_nothing",
            signature_misuse_verifies_nothing,
        ),
        plain(
            "reports_verify_against_their_datasets_signers",
            reports_verify_against_their_datasets_signers,
        ),
        needs(
            "ssh_keygen_signatures_verify",
            &[Need::SshKeygen],
            ssh_keygen_signatures_verify,
        ),
        plain(
            "outputs_replace_nothing_that_is_not_theirs",
            outputs_replace_nothing_that_is_not_theirs,
        ),
        needs(
            "runs_keep_the_target_until_they_complete",
            &[Need::Gpu],
            runs_keep_the_target_until_they_complete,
        ),
        plain(
            "special_files_in_the_dataset_hang_nothing",
            special_files_in_the_dataset_hang_nothing,
        ),
        plain(
            "dataset_add_stops_cleanly_on_ctrl_c",
            dataset_add_stops_cleanly_on_ctrl_c,
        ),
        plain(
            "temporaries_are_named_and_removed_when_orphaned",
            temporaries_are_named_and_removed_when_orphaned,
        ),
        plain(
            "readers_refuse_incomplete_runs_unless_asked",
            readers_refuse_incomplete_runs_unless_asked,
        ),
        plain(
            "validation_refuses_the_oddities",
            validation_refuses_the_oddities,
        ),
        plain(
            "forgery_fuzz_changes_no_signed_standing",
            forgery_fuzz_changes_no_signed_standing,
        ),
    ];
    common::run(tests)
}
