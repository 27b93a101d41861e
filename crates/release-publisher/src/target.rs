//! The release targets of the runbook and their artifact names.

/// The executable format and architecture a target's artifact must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryFormat {
    /// ELF for x86-64.
    ElfX86_64,
    /// ELF for AArch64.
    ElfAarch64,
    /// Mach-O for x86-64.
    MachOX86_64,
    /// Mach-O for arm64.
    MachOArm64,
    /// PE (PE32+) for x86-64.
    PeX86_64,
}

impl BinaryFormat {
    /// How people name it: `ELF x86-64`.
    pub fn describe(self) -> &'static str {
        match self {
            BinaryFormat::ElfX86_64 => "ELF x86-64",
            BinaryFormat::ElfAarch64 => "ELF AArch64",
            BinaryFormat::MachOX86_64 => "Mach-O x86-64",
            BinaryFormat::MachOArm64 => "Mach-O arm64",
            BinaryFormat::PeX86_64 => "PE x86-64",
        }
    }

    /// "an ELF x86-64", "a Mach-O arm64".
    pub fn with_article(self) -> String {
        let name = self.describe();
        let article = if name.starts_with('E') { "an" } else { "a" };
        format!("{article} {name}")
    }
}

/// One release target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// The triple `deno compile --target` takes.
    pub triple: &'static str,
    /// What follows `<bin>-` in the artifact's name, `.exe` included.
    pub suffix: &'static str,
    /// The format the artifact must have.
    pub format: BinaryFormat,
    /// A GitHub-hosted runner of the target's own platform. `deno compile` cross-compiles,
    /// so any runner can build any target; a native one can also run the binary.
    pub runner: &'static str,
}

/// The binary's name when none is given: the prefix of every artifact.
pub const DEFAULT_BIN: &str = "kato";

/// The runbook's five targets, in its order.
pub const TARGETS: [Target; 5] = [
    Target {
        triple: "x86_64-unknown-linux-gnu",
        suffix: "linux-x86_64",
        format: BinaryFormat::ElfX86_64,
        runner: "ubuntu-24.04",
    },
    Target {
        triple: "aarch64-unknown-linux-gnu",
        suffix: "linux-aarch64",
        format: BinaryFormat::ElfAarch64,
        runner: "ubuntu-24.04-arm",
    },
    Target {
        triple: "x86_64-apple-darwin",
        suffix: "darwin-x86_64",
        format: BinaryFormat::MachOX86_64,
        runner: "macos-15-intel",
    },
    Target {
        triple: "aarch64-apple-darwin",
        suffix: "darwin-arm64",
        format: BinaryFormat::MachOArm64,
        runner: "macos-15",
    },
    Target {
        triple: "x86_64-pc-windows-msvc",
        suffix: "windows-x86_64.exe",
        format: BinaryFormat::PeX86_64,
        runner: "windows-2025",
    },
];

impl Target {
    /// The target with this triple.
    pub fn from_triple(triple: &str) -> Option<&'static Target> {
        TARGETS.iter().find(|target| target.triple == triple)
    }

    /// The artifact's file name: `kato-linux-x86_64`, `kato-windows-x86_64.exe`.
    pub fn artifact_name(&self, bin: &str) -> String {
        format!("{bin}-{}", self.suffix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_names_follow_the_runbook() {
        let names: Vec<String> = TARGETS.iter().map(|t| t.artifact_name("kato")).collect();
        assert_eq!(
            names,
            [
                "kato-linux-x86_64",
                "kato-linux-aarch64",
                "kato-darwin-x86_64",
                "kato-darwin-arm64",
                "kato-windows-x86_64.exe"
            ]
        );
        assert_eq!(
            Target::from_triple("aarch64-apple-darwin").unwrap().format,
            BinaryFormat::MachOArm64
        );
        assert_eq!(Target::from_triple("x86_64-unknown-freebsd"), None);
    }
}
