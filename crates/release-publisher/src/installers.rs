//! The installers a release carries beside its binaries: `install.sh` (POSIX sh, Linux
//! and macOS) and `install.ps1` (PowerShell, Windows x86-64). Each downloads the binary
//! of its platform from the release, checks it against the release's `SHA256SUMS` and
//! only then puts it in place, so a file that failed the check is never installed.

use crate::checksums::SHA256SUMS;
use crate::target::Target;

/// The installer for Linux and macOS.
pub const INSTALL_SH: &str = "install.sh";
/// The installer for Windows.
pub const INSTALL_PS1: &str = "install.ps1";

/// What an installer is made from: the release it downloads from and its artifacts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallerPlan {
    /// The binary's name: `kato`; also the prefix of the installer's variables
    /// (`KATO_INSTALL_DIR`).
    pub bin: String,
    /// The version released: `0.1.0`.
    pub version: String,
    /// Where the release's files are downloaded from:
    /// `https://github.com/OWNER/REPO/releases/download/v0.1.0`.
    pub download_url: String,
    /// The targets released.
    pub targets: Vec<&'static Target>,
}

impl InstallerPlan {
    /// `KATO`, for `KATO_INSTALL_DIR`: the binary's name in capitals, `-` and `.` as `_`.
    pub fn prefix(&self) -> String {
        self.bin
            .chars()
            .map(|c| match c {
                '-' | '.' => '_',
                c => c.to_ascii_uppercase(),
            })
            .collect()
    }

    fn artifact(&self, triple: &str) -> Option<String> {
        self.targets
            .iter()
            .find(|t| t.triple == triple)
            .map(|t| t.artifact_name(&self.bin))
    }
}

/// The (os, arch) pairs `uname` names, with the artifact of each.
const POSIX: [(&str, &str, &str); 4] = [
    ("linux", "x86_64", "x86_64-unknown-linux-gnu"),
    ("linux", "aarch64", "aarch64-unknown-linux-gnu"),
    ("darwin", "x86_64", "x86_64-apple-darwin"),
    ("darwin", "aarch64", "aarch64-apple-darwin"),
];

/// `install.sh`: detects the OS and architecture (`uname`, or `<PREFIX>_OS` and
/// `<PREFIX>_ARCH`), downloads the binary and SHA256SUMS with curl or wget, checks the
/// binary with sha256sum or shasum, and moves it to `$<PREFIX>_INSTALL_DIR`, else
/// `~/.local/bin`. Exit status 1 with a message for an unsupported platform, a missing
/// asset or a digest mismatch; nothing is installed then.
pub fn install_sh(plan: &InstallerPlan) -> String {
    let prefix = plan.prefix();
    let mut cases = String::new();
    for (os, arch, triple) in POSIX {
        if let Some(artifact) = plan.artifact(triple) {
            cases.push_str(&format!("  {os}-{arch}) asset={artifact} ;;\n"));
        }
    }
    let supported: Vec<String> = POSIX
        .iter()
        .filter(|(_, _, triple)| plan.artifact(triple).is_some())
        .map(|(os, arch, _)| format!("{os}-{arch}"))
        .collect();
    format!(
        r#"#!/bin/sh
# Installs {bin} {version} from its release: downloads the binary of this machine,
# checks it against the release's {sums}, then moves it into place.
#
#   curl -fsSL {url}/{install_sh} | sh
#
# {prefix}_INSTALL_DIR  where to install (default: ~/.local/bin)
# {prefix}_OS, {prefix}_ARCH  the platform, instead of what uname says
# {prefix}_DOWNLOAD_URL  where the release's files are (default: the release itself)
set -eu

bin='{bin}'
version='{version}'
url="${{{prefix}_DOWNLOAD_URL:-{url}}}"
dir="${{{prefix}_INSTALL_DIR:-${{HOME:?HOME is not set: set {prefix}_INSTALL_DIR}}/.local/bin}}"

fail() {{
  echo "install.sh: $*" >&2
  exit 1
}}

os="${{{prefix}_OS:-$(uname -s)}}"
arch="${{{prefix}_ARCH:-$(uname -m)}}"
case "$os" in
  Linux | linux) os=linux ;;
  Darwin | darwin) os=darwin ;;
  *) fail "$bin $version has no binary for the OS $os (it has: {supported}; on Windows use {install_ps1})" ;;
esac
case "$arch" in
  x86_64 | amd64) arch=x86_64 ;;
  aarch64 | arm64) arch=aarch64 ;;
  *) fail "$bin $version has no binary for the architecture $arch (it has: {supported})" ;;
esac
case "$os-$arch" in
{cases}  *) fail "$bin $version has no binary for $os-$arch (it has: {supported})" ;;
esac

if command -v curl >/dev/null 2>&1; then
  fetch() {{ curl -fsSL --retry 2 -o "$2" "$1"; }}
elif command -v wget >/dev/null 2>&1; then
  fetch() {{ wget -q -O "$2" "$1"; }}
else
  fail "neither curl nor wget is installed: install one of them and run this again"
fi
if command -v sha256sum >/dev/null 2>&1; then
  digest() {{ sha256sum "$1" | cut -d ' ' -f 1; }}
elif command -v shasum >/dev/null 2>&1; then
  digest() {{ shasum -a 256 "$1" | cut -d ' ' -f 1; }}
else
  fail "neither sha256sum nor shasum is installed: the download cannot be checked"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT INT TERM
fetch "$url/{sums}" "$work/{sums}" || fail "cannot download $url/{sums}"
fetch "$url/$asset" "$work/$asset" || fail "cannot download $url/$asset"
expected="$(awk -v name="$asset" '$2 == name || $2 == "*" name {{ print $1 }}' "$work/{sums}")"
[ -n "$expected" ] || fail "{sums} of $bin $version does not list $asset: nothing was installed"
actual="$(digest "$work/$asset")"
[ "$actual" = "$expected" ] || fail "$asset does not match {sums} (sha256 $actual, expected $expected): nothing was installed"

mkdir -p "$dir" || fail "cannot create $dir: set {prefix}_INSTALL_DIR to a directory you can write"
chmod 755 "$work/$asset"
# Copied beside its name, then renamed: the old binary is replaced whole or not at all.
cp "$work/$asset" "$dir/.$bin.$$" || fail "cannot write to $dir: set {prefix}_INSTALL_DIR to a directory you can write"
mv -f "$dir/.$bin.$$" "$dir/$bin"
echo "installed $bin $version ($asset, sha256 $actual) to $dir/$bin"
case ":${{PATH:-}}:" in
  *":$dir:"*) ;;
  *) echo "$dir is not on PATH: add it, e.g. export PATH=\"$dir:\$PATH\"" ;;
esac
"#,
        bin = plan.bin,
        version = plan.version,
        url = plan.download_url,
        sums = SHA256SUMS,
        install_sh = INSTALL_SH,
        install_ps1 = INSTALL_PS1,
        supported = supported.join(", "),
    )
}

/// `install.ps1`: the same for Windows x86-64: the binary and SHA256SUMS downloaded,
/// checked with Get-FileHash, moved to `$env:<PREFIX>_INSTALL_DIR`, else
/// `%LOCALAPPDATA%\Programs\<bin>`. `None` when the release has no Windows binary.
pub fn install_ps1(plan: &InstallerPlan) -> Option<String> {
    let asset = plan.artifact("x86_64-pc-windows-msvc")?;
    let prefix = plan.prefix();
    Some(format!(
        r#"# Installs {bin} {version} from its release: downloads the Windows binary, checks it
# against the release's {sums}, then moves it into place.
#
#   irm {url}/{install_ps1} | iex
#
# $env:{prefix}_INSTALL_DIR  where to install (default: $env:LOCALAPPDATA\Programs\{bin})
# $env:{prefix}_ARCH  the architecture, instead of PROCESSOR_ARCHITECTURE
# $env:{prefix}_DOWNLOAD_URL  where the release's files are (default: the release itself)
$ErrorActionPreference = 'Stop'
$Bin = '{bin}'
$Version = '{version}'
$Asset = '{asset}'
$Url = if ($env:{prefix}_DOWNLOAD_URL) {{ $env:{prefix}_DOWNLOAD_URL }} else {{ '{url}' }}
$Dir = if ($env:{prefix}_INSTALL_DIR) {{ $env:{prefix}_INSTALL_DIR }} else {{ Join-Path $env:LOCALAPPDATA "Programs\$Bin" }}
$Arch = if ($env:{prefix}_ARCH) {{ $env:{prefix}_ARCH }} else {{ $env:PROCESSOR_ARCHITECTURE }}
if ($Arch -notin @('AMD64', 'x86_64')) {{
  throw "$Bin $Version has no Windows binary for the architecture $Arch (it has: x86_64)"
}}
$Work = Join-Path ([System.IO.Path]::GetTempPath()) ([System.IO.Path]::GetRandomFileName())
New-Item -ItemType Directory -Path $Work | Out-Null
try {{
  Invoke-WebRequest -UseBasicParsing -Uri "$Url/{sums}" -OutFile (Join-Path $Work '{sums}')
  Invoke-WebRequest -UseBasicParsing -Uri "$Url/$Asset" -OutFile (Join-Path $Work $Asset)
  $Line = Get-Content (Join-Path $Work '{sums}') | Where-Object {{ ($_ -split '\s+')[1] -in @($Asset, "*$Asset") }} | Select-Object -First 1
  if (-not $Line) {{ throw "{sums} of $Bin $Version does not list ${{Asset}}: nothing was installed" }}
  $Expected = ($Line -split '\s+')[0].ToLowerInvariant()
  $Actual = (Get-FileHash -Algorithm SHA256 -Path (Join-Path $Work $Asset)).Hash.ToLowerInvariant()
  if ($Actual -ne $Expected) {{
    throw "$Asset does not match {sums} (sha256 $Actual, expected $Expected): nothing was installed"
  }}
  New-Item -ItemType Directory -Force -Path $Dir | Out-Null
  Move-Item -Force -Path (Join-Path $Work $Asset) -Destination (Join-Path $Dir "$Bin.exe")
  Write-Output "installed $Bin $Version ($Asset, sha256 $Actual) to $(Join-Path $Dir "$Bin.exe")"
  if (($env:PATH -split ';') -notcontains $Dir) {{
    Write-Output "$Dir is not on PATH: add it in System Properties, Environment Variables"
  }}
}} finally {{
  Remove-Item -Recurse -Force -ErrorAction SilentlyContinue $Work
}}
"#,
        bin = plan.bin,
        version = plan.version,
        url = plan.download_url,
        sums = SHA256SUMS,
        install_ps1 = INSTALL_PS1,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TARGETS;

    fn plan(targets: Vec<&'static Target>) -> InstallerPlan {
        InstallerPlan {
            bin: "kato".into(),
            version: "0.1.0".into(),
            download_url: "https://github.com/acme/kato/releases/download/v0.1.0".into(),
            targets,
        }
    }

    #[test]
    fn install_sh_knows_each_released_platform_and_its_artifact() {
        let script = install_sh(&plan(TARGETS.iter().collect()));
        assert!(script.starts_with("#!/bin/sh\n"));
        for line in [
            "  linux-x86_64) asset=kato-linux-x86_64 ;;",
            "  linux-aarch64) asset=kato-linux-aarch64 ;;",
            "  darwin-x86_64) asset=kato-darwin-x86_64 ;;",
            "  darwin-aarch64) asset=kato-darwin-arm64 ;;",
            r#"url="${KATO_DOWNLOAD_URL:-https://github.com/acme/kato/releases/download/v0.1.0}""#,
            r#"dir="${KATO_INSTALL_DIR:-${HOME:?HOME is not set: set KATO_INSTALL_DIR}/.local/bin}""#,
        ] {
            assert!(script.contains(line), "{line} not in\n{script}");
        }
        let linux_only = install_sh(&plan(vec![&TARGETS[0]]));
        assert!(!linux_only.contains("darwin-aarch64) asset"));
        assert!(linux_only.contains("(it has: linux-x86_64)"));
    }

    #[test]
    fn install_ps1_only_with_a_windows_binary() {
        let script = install_ps1(&plan(TARGETS.iter().collect())).unwrap();
        assert!(script.contains("$Asset = 'kato-windows-x86_64.exe'"));
        assert!(script.contains("$env:KATO_INSTALL_DIR"));
        assert_eq!(install_ps1(&plan(vec![&TARGETS[0]])), None);
    }

    #[test]
    fn the_prefix_is_the_binary_in_capitals() {
        let mut plan = plan(vec![]);
        plan.bin = "kato-daemon.v2".into();
        assert_eq!(plan.prefix(), "KATO_DAEMON_V2");
    }
}
