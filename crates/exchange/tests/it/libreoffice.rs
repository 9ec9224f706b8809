//! Converting files with LibreOffice: re-saving a workbook, for the tests
//! that prove a file edited and saved there reads back correctly, and turning
//! a document into PDF, for the tests that prove LibreOffice can lay it out.
//! Shared by the unit tests (`src/tests.rs`) and the integration tests
//! (`tests/it/`), and the web crate's tests, which include this file with `#[path]`.
//!
//! When LibreOffice is not installed the tests print a `SKIPPED` line and
//! pass, unless `QCITY_REQUIRE_LIBREOFFICE=1` is set (as CI does): then a
//! missing LibreOffice fails the test.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Set to `1` to make a missing LibreOffice a test failure.
const REQUIRE_VAR: &str = "QCITY_REQUIRE_LIBREOFFICE";
/// A conversion taking longer than this is a hung LibreOffice.
const TIMEOUT: Duration = Duration::from_secs(180);

/// `bytes` (an XLSX workbook) saved by LibreOffice as XLSX again, as
/// `soffice --headless --convert-to xlsx` does: LibreOffice rewrites the
/// whole file (shared strings, styles, merged cells, number formats).
///
/// `None` when LibreOffice is not installed and not required: a `SKIPPED`
/// line naming `test` has been printed and the caller should return.
/// Panics when it is required but missing, or when the conversion fails.
pub fn resave_xlsx(test: &str, bytes: &[u8]) -> Option<Vec<u8>> {
    let resaved = convert(test, bytes, "xlsx", "xlsx")?;
    assert!(resaved != bytes, "LibreOffice returned the file unchanged");
    Some(resaved)
}

/// `bytes` (a file of type `input_ext`, e.g. `docx`) converted by
/// `soffice --headless --convert-to <output_ext>` (e.g. `pdf`).
///
/// `None` when LibreOffice is not installed and not required: a `SKIPPED`
/// line naming `test` has been printed and the caller should return.
/// Panics when it is required but missing, or when the conversion fails.
pub fn convert(test: &str, bytes: &[u8], input_ext: &str, output_ext: &str) -> Option<Vec<u8>> {
    let Some(bin) = office_binary() else {
        assert!(
            !required(),
            "{test}: LibreOffice (soffice) is not installed, and {REQUIRE_VAR}=1 requires it"
        );
        // Straight to stderr: the test harness would hide `println!` output
        // of a passing test.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED {test}: LibreOffice (soffice/libreoffice) is not installed \
             (set {REQUIRE_VAR}=1 to make this a failure)"
        );
        return None;
    };
    let dir = Scratch::new();
    let input = dir.path().join(format!("input.{input_ext}"));
    let out_dir = dir.path().join("out");
    std::fs::write(&input, bytes).unwrap_or_else(|e| panic!("{}: {e}", input.display()));
    let log = |name: &str| {
        let path = dir.path().join(name);
        std::fs::File::create(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    // A profile of its own: LibreOffice hands a conversion to an instance
    // already running on the same profile, so parallel tests would collide.
    let mut child = Command::new(bin)
        .arg(format!(
            "-env:UserInstallation=file://{}",
            dir.path().join("profile").display()
        ))
        .args(["--headless", "--convert-to", output_ext, "--outdir"])
        .arg(&out_dir)
        .arg(&input)
        .stdin(Stdio::null())
        .stdout(log("stdout.log"))
        .stderr(log("stderr.log"))
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{bin} did not convert the {input_ext} file within {TIMEOUT:?}");
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => panic!("waiting for {bin}: {e}"),
        }
    };
    let output = out_dir.join(format!("input.{output_ext}"));
    let logs = || {
        let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap_or_default();
        format!(
            "stdout:\n{}\nstderr:\n{}",
            read("stdout.log"),
            read("stderr.log")
        )
    };
    assert!(status.success(), "{bin} failed ({status})\n{}", logs());
    // soffice exits 0 even when it cannot open the input, e.g. a .docx when
    // only Calc is installed (Debian: libreoffice-writer-nogui brings Writer).
    let converted = std::fs::read(&output).unwrap_or_else(|e| {
        panic!(
            "{bin} wrote no {}: {e} (is the LibreOffice component that opens \
             .{input_ext} files installed?)\n{}",
            output.display(),
            logs()
        )
    });
    Some(converted)
}

fn required() -> bool {
    std::env::var(REQUIRE_VAR).is_ok_and(|v| !matches!(v.trim(), "" | "0"))
}

fn office_binary() -> Option<&'static str> {
    [
        "soffice",
        "libreoffice",
        "/Applications/LibreOffice.app/Contents/MacOS/soffice",
    ]
    .into_iter()
    .find(|bin| {
        Command::new(bin)
            .arg("--version")
            .stdin(Stdio::null())
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// A fresh directory under the system temp dir, removed on drop (also when
/// the test panics).
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let dir = std::env::temp_dir().join(format!(
            "qcity-exchange-lo-{}-{}-{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        // `create_dir` (not `_all`) fails rather than share a directory.
        std::fs::create_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        Scratch(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
