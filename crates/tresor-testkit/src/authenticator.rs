//! The real authenticators the two-factor tests take their codes from: `oathtool` (the Debian package) and the
//! Python package `pyotp`, each asked for the code of a secret at a given Unix time.
//!
//! They are peers: without them [`available`] says what is missing and how to install it, and the test should skip,
//! unless `TRESOR_REQUIRE_PEERS=1` makes that a failure. Asking two independent implementations keeps the server's
//! RFC 6238 honest in a way a copy of its own arithmetic in the tests could not.

use std::process::{Command, Output, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

/// Whether both authenticators are here. When one is missing it says which on stderr, with how to install it, and
/// returns `false` so that the test skips.
///
/// # Panics
/// When `TRESOR_REQUIRE_PEERS=1` and an authenticator is missing.
pub fn available() -> bool {
    let oathtool = Command::new("oathtool").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status();
    let pyotp = Command::new("python3").args(["-c", "import pyotp"]).stderr(Stdio::null()).status();
    let why = match (oathtool, pyotp) {
        (Ok(a), Ok(b)) if a.success() && b.success() => return true,
        (Ok(a), _) if a.success() => "the Python package pyotp is not installed (python3 -m pip install pyotp)",
        _ => "oathtool is not installed (apt-get install oathtool)",
    };
    assert!(std::env::var("TRESOR_REQUIRE_PEERS").as_deref() != Ok("1"), "TRESOR_REQUIRE_PEERS=1 but {why}");
    eprintln!("skipped: {why}, so authenticator codes are not tested");
    false
}

/// The code `oathtool --totp` shows for the base32 `secret` at `unix_secs`.
///
/// # Panics
/// When `oathtool` cannot run, fails, or prints anything but six digits.
pub fn oathtool_at(secret: &str, unix_secs: i64) -> String {
    let at = format!("@{unix_secs}");
    let out = Command::new("oathtool").args(["--totp", "-b", secret, "-N", &at]).output();
    six_digits("oathtool", out)
}

/// The code `pyotp` computes for the base32 `secret` at `unix_secs`.
///
/// # Panics
/// When `python3` cannot run, `pyotp` fails, or it prints anything but six digits.
pub fn pyotp_at(secret: &str, unix_secs: i64) -> String {
    let script = "import sys, pyotp; print(pyotp.TOTP(sys.argv[1]).at(int(sys.argv[2])))";
    let out = Command::new("python3").args(["-c", script, secret, &unix_secs.to_string()]).output();
    six_digits("pyotp", out)
}

/// Seconds since the Unix epoch, now, for codes the server is to accept at its own (wall-clock) time.
///
/// # Panics
/// When the system clock is before 1970.
pub fn unix_now() -> i64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_else(|e| panic!("clock before 1970: {e}"));
    i64::try_from(since.as_secs()).unwrap_or_else(|e| panic!("clock out of range: {e}"))
}

/// The code an authenticator printed, checked to be six digits.
fn six_digits(tool: &str, out: std::io::Result<Output>) -> String {
    let out = out.unwrap_or_else(|e| panic!("cannot run {tool}: {e}"));
    assert!(out.status.success(), "{tool}: {}", String::from_utf8_lossy(&out.stderr));
    let code = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()), "{tool} printed {code:?}");
    code
}
