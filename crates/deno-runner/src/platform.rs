//! Which npm package carries the deno binary for a platform.

/// The npm distribution of deno for one platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NpmDistribution {
    /// The package, e.g. `@deno/linux-x64-glibc`.
    pub package: &'static str,
    /// The binary's file name inside the package.
    pub binary: &'static str,
}

/// The npm distribution for an `os`/`arch` pair as Rust names them
/// (`std::env::consts::OS`, `ARCH`), or `None` where deno publishes none.
pub fn npm_distribution(os: &str, arch: &str) -> Option<NpmDistribution> {
    let package = match (os, arch) {
        ("linux", "x86_64") => "@deno/linux-x64-glibc",
        ("linux", "aarch64") => "@deno/linux-arm64-glibc",
        ("macos", "x86_64") => "@deno/darwin-x64",
        ("macos", "aarch64") => "@deno/darwin-arm64",
        ("windows", "x86_64") => "@deno/win32-x64",
        ("windows", "aarch64") => "@deno/win32-arm64",
        _ => return None,
    };
    let binary = if os == "windows" { "deno.exe" } else { "deno" };
    Some(NpmDistribution { package, binary })
}

/// The npm distribution for the machine this runs on.
pub fn host_npm_distribution() -> Option<NpmDistribution> {
    npm_distribution(std::env::consts::OS, std::env::consts::ARCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_platforms() {
        let linux = npm_distribution("linux", "x86_64").unwrap();
        assert_eq!(linux.package, "@deno/linux-x64-glibc");
        assert_eq!(linux.binary, "deno");
        let windows = npm_distribution("windows", "x86_64").unwrap();
        assert_eq!(windows.binary, "deno.exe");
        assert_eq!(
            npm_distribution("macos", "aarch64").unwrap().package,
            "@deno/darwin-arm64"
        );
        assert_eq!(npm_distribution("freebsd", "x86_64"), None);
    }
}
