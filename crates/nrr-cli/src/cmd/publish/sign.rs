//! Signatures of sign-offs: `ssh-keygen -Y sign` and `-Y verify` (OpenSSH 8.1 or later), the
//! namespace `nrr-release`.

use anyhow::{bail, Context};
use nrr_io::book::Signoff;
use std::path::Path;
use std::process::{Command, Stdio};

/// The signature namespace: a signature made for nrr releases verifies for nothing else.
const NAMESPACE: &str = "nrr-release";

/// Signs `text` with the private key at `key`: its public key (OpenSSH one-line form) and the
/// armored signature.
pub(super) fn sign(key: &Path, text: &str) -> anyhow::Result<(String, String)> {
    let tmp = tempfile::tempdir().context("a temporary directory for signing")?;
    let msg = tmp.path().join("signoff.txt");
    std::fs::write(&msg, text).context("writing the text to sign")?;
    let out = Command::new("ssh-keygen")
        .args(["-q", "-Y", "sign", "-n", NAMESPACE, "-f"])
        .arg(key)
        .arg(&msg)
        .stdin(Stdio::null())
        .output()
        .context("running ssh-keygen -Y sign (is OpenSSH installed?)")?;
    if !out.status.success() {
        bail!(
            "ssh-keygen -Y sign -f {} failed: {}",
            key.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let signature = std::fs::read_to_string(tmp.path().join("signoff.txt.sig"))
        .context("reading the signature ssh-keygen wrote")?;
    let public = public_key(key)?;
    Ok((public, signature))
}

/// The public key of `key`: `KEY.pub` when present, else derived by `ssh-keygen -y`.
fn public_key(key: &Path) -> anyhow::Result<String> {
    let mut pub_path = key.as_os_str().to_owned();
    pub_path.push(".pub");
    if let Ok(s) = std::fs::read_to_string(&pub_path) {
        return Ok(s.trim().to_string());
    }
    let out = Command::new("ssh-keygen")
        .args(["-y", "-f"])
        .arg(key)
        .stdin(Stdio::null())
        .output()
        .context("running ssh-keygen -y")?;
    if !out.status.success() {
        bail!(
            "ssh-keygen -y -f {}: {}",
            key.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Checks a sign-off's signature against the public key it carries; the key's fingerprint
/// (`SHA256:...`) on success.
pub(super) fn verify(s: &Signoff) -> anyhow::Result<String> {
    let (Some(public), Some(signature)) = (&s.public_key, &s.signature) else {
        bail!("the sign-off carries no signature");
    };
    let tmp = tempfile::tempdir().context("a temporary directory for verifying")?;
    let allowed = tmp.path().join("allowed_signers");
    std::fs::write(
        &allowed,
        format!("signer namespaces=\"{NAMESPACE}\" {public}\n"),
    )
    .context("writing allowed_signers")?;
    let sig = tmp.path().join("signoff.sig");
    std::fs::write(&sig, signature).context("writing the signature")?;
    let mut child = Command::new("ssh-keygen")
        .args(["-Y", "verify", "-I", "signer", "-n", NAMESPACE, "-f"])
        .arg(&allowed)
        .arg("-s")
        .arg(&sig)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("running ssh-keygen -Y verify (is OpenSSH installed?)")?;
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().context("ssh-keygen's input")?;
        stdin
            .write_all(s.signed_text().as_bytes())
            .context("writing to ssh-keygen")?;
    }
    let out = child.wait_with_output().context("waiting for ssh-keygen")?;
    if !out.status.success() {
        bail!(
            "the signature does not verify: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    fingerprint(public, tmp.path())
}

fn fingerprint(public: &str, dir: &Path) -> anyhow::Result<String> {
    let path = dir.join("key.pub");
    std::fs::write(&path, format!("{public}\n")).context("writing the public key")?;
    let out = Command::new("ssh-keygen")
        .arg("-lf")
        .arg(&path)
        .stdin(Stdio::null())
        .output()
        .context("running ssh-keygen -l")?;
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text.split_whitespace().nth(1).unwrap_or("").to_string())
}
